"""The annual survey report (Form No. 1) for one year, optionally against another.

Denominators, so that every share is read the same way:

- Q1, Q2 and each Q3 row: all responses of the year. A response without
  an answer to a question or row (possible in imported earlier years) is
  counted as «нет ответа», so a row's shares add up to 100 %.
- The satisfaction index of a Q3 row: the mean of `form.Q3_SCORES` over
  that row's answers other than «Затрудняюсь ответить» (and other than no
  answer), divided by `form.Q3_TOP_SCORE`, times 100, one decimal. It is
  None when the row has no such answer.
- Q4: the texts and «Затрудняюсь ответить» marks are counts, not shares,
  because only respondents dissatisfied with a row answer it.
- The answer rate of a mailbot campaign: invitations marked answered over
  all invitations. Imported years have no invitations.

Percentages are kept as counts and totals, so a change against the compared
year is the difference of the exact shares (percentage points) or indexes
(points), rounded to one decimal only at the end.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from mailbot.db.models import SurveyCampaign, SurveyInvitation, SurveyResponse
from mailbot.errors import MailbotError
from mailbot.survey import form

NO_ANSWER_RU = "Нет ответа"


class CampaignNotFound(MailbotError):
    """No survey campaign, run or imported, exists for the requested year."""


def percent(count: int, total: int) -> float | None:
    """Return `count` of `total` as a percentage with one decimal, or None when `total` is 0."""
    return round(100 * count / total, 1) if total else None


def change(current: float | None, earlier: float | None) -> float | None:
    """Return `current - earlier` rounded to one decimal, or None when either is missing."""
    if current is None or earlier is None:
        return None
    return round(current - earlier, 1)


@dataclasses.dataclass(frozen=True)
class OptionCount:
    """How many responses chose one option; `key` None stands for no answer."""

    key: str | None
    label: str
    count: int
    total: int

    @property
    def share(self) -> float | None:
        """The exact share in percent, unrounded, for computing changes."""
        return 100 * self.count / self.total if self.total else None

    @property
    def percent(self) -> float | None:
        return percent(self.count, self.total)


@dataclasses.dataclass(frozen=True)
class Q2Row:
    key: str
    label: str
    not_engaged: OptionCount
    with_problem: OptionCount
    texts: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class Q3Row:
    key: str
    label: str
    # The five options of the form, then «нет ответа».
    options: tuple[OptionCount, ...]
    scored: int
    score_sum: int

    @property
    def index_exact(self) -> float | None:
        return 100 * self.score_sum / (self.scored * form.Q3_TOP_SCORE) if self.scored else None

    @property
    def index(self) -> float | None:
        """The satisfaction index, 0-100 with one decimal; None without a scored answer."""
        exact = self.index_exact
        return round(exact, 1) if exact is not None else None

    def option(self, key: str | None) -> OptionCount:
        return next(option for option in self.options if option.key == key)


@dataclasses.dataclass(frozen=True)
class Q4Row:
    key: str
    label: str
    texts: tuple[str, ...]
    unsure: int


@dataclasses.dataclass(frozen=True)
class YearResults:
    """The survey results of one year."""

    year: int
    origin: str
    responses: int
    # None for an imported year, which has no invitations.
    invitations: int | None
    answered_invitations: int | None
    q1: tuple[OptionCount, ...]
    q2: tuple[Q2Row, ...]
    q3: tuple[Q3Row, ...]
    q4: tuple[Q4Row, ...]
    q5: tuple[str, ...]

    @property
    def answer_rate(self) -> float | None:
        if not self.invitations or self.answered_invitations is None:
            return None
        return percent(self.answered_invitations, self.invitations)

    def q1_option(self, key: str | None) -> OptionCount:
        return next(option for option in self.q1 if option.key == key)

    def q2_row(self, key: str) -> Q2Row:
        return next(row for row in self.q2 if row.key == key)

    def q3_row(self, key: str) -> Q3Row:
        return next(row for row in self.q3 if row.key == key)


@dataclasses.dataclass(frozen=True)
class SurveyReport:
    current: YearResults
    compared: YearResults | None

    def q1_change(self, key: str | None) -> float | None:
        """Return the change of a Q1 option's share against the compared year, in percentage points."""
        if self.compared is None:
            return None
        return change(self.current.q1_option(key).share, self.compared.q1_option(key).share)

    def q2_changes(self, row: str) -> tuple[float | None, float | None]:
        """Return the changes of the «не занимаюсь» and «указана проблема» shares of a Q2 row, in points."""
        if self.compared is None:
            return None, None
        now, then = self.current.q2_row(row), self.compared.q2_row(row)
        return (
            change(now.not_engaged.share, then.not_engaged.share),
            change(now.with_problem.share, then.with_problem.share),
        )

    def q3_change(self, row: str, key: str | None) -> float | None:
        """Return the change of one option's share in a Q3 row, in percentage points."""
        if self.compared is None:
            return None
        return change(self.current.q3_row(row).option(key).share, self.compared.q3_row(row).option(key).share)

    def q3_index_change(self, row: str) -> float | None:
        """Return the change of a Q3 row's satisfaction index, in index points."""
        if self.compared is None:
            return None
        return change(self.current.q3_row(row).index_exact, self.compared.q3_row(row).index_exact)


def build_survey_report(
    session: Session, year: int, compare_year: int | None = None, *, current_year: int | None = None
) -> SurveyReport:
    """Compute the report for `year`, compared with `compare_year` when given.

    Raises CampaignNotFound when either year has no campaign. `current_year`
    (today's year) picks the advice in that error: a past year can only be
    imported, while the current or a later one can also be surveyed.
    """
    current = year_results(session, year, current_year=current_year)
    compared = year_results(session, compare_year, current_year=current_year) if compare_year is not None else None
    return SurveyReport(current=current, compared=compared)


def year_results(session: Session, year: int, *, current_year: int | None = None) -> YearResults:
    campaign = session.scalar(select(SurveyCampaign).where(SurveyCampaign.year == year))
    if campaign is None:
        raise CampaignNotFound(_missing_year_advice(year, current_year))

    answers = list(
        session.scalars(
            select(SurveyResponse.answers)
            .where(SurveyResponse.campaign_id == campaign.id)
            .order_by(SurveyResponse.submitted_on, SurveyResponse.id)
        )
    )
    invitations, answered = _invitation_counts(session, campaign)
    return YearResults(
        year=year,
        origin=campaign.origin,
        responses=len(answers),
        invitations=invitations,
        answered_invitations=answered,
        q1=_count_options(form.Q1_OPTIONS, [item.get("q1") for item in answers]),
        q2=tuple(_q2_row(row, answers) for row in form.Q2_ROWS),
        q3=tuple(_q3_row(row, answers) for row in form.Q3_ROWS),
        q4=tuple(_q4_row(row, answers) for row in form.Q3_ROWS),
        q5=tuple(_texts(item.get("q5") for item in answers)),
    )


def _missing_year_advice(year: int, current_year: int | None) -> str:
    import_command = f"mailbot survey import --year {year} ФАЙЛ.csv"
    if current_year is not None and year < current_year:
        return f"опроса за {year} год в базе нет. Загрузите его результаты из CSV («{import_command}»)."
    return (
        f"опроса за {year} год в базе нет. Проведите его («mailbot survey start --year {year}») или загрузите "
        f"результаты из CSV («{import_command}»)."
    )


def _invitation_counts(session: Session, campaign: SurveyCampaign) -> tuple[int | None, int | None]:
    if campaign.origin != "campaign":
        return None, None
    query = select(func.count(SurveyInvitation.id), func.count().filter(SurveyInvitation.answered.is_(True))).where(
        SurveyInvitation.campaign_id == campaign.id
    )
    invited, answered = session.execute(query).one()
    return int(invited), int(answered)


def _count_options(options: tuple[form.Choice, ...], chosen: list[Any]) -> tuple[OptionCount, ...]:
    """Count each option among `chosen`; anything not an option of the form counts as no answer."""
    keys = [choice.key for choice in options]
    counts = [OptionCount(choice.key, choice.label, chosen.count(choice.key), len(chosen)) for choice in options]
    missing = sum(1 for value in chosen if value not in keys)
    return (*counts, OptionCount(None, NO_ANSWER_RU, missing, len(chosen)))


def _q2_row(row: form.Row, answers: Sequence[Mapping[str, Any]]) -> Q2Row:
    cells = [_cell(item, "q2", row.key) for item in answers]
    not_engaged = sum(1 for cell in cells if cell.get("not_engaged"))
    texts = list(_texts(cell.get("text") for cell in cells if not cell.get("not_engaged")))
    return Q2Row(
        key=row.key,
        label=row.label,
        not_engaged=OptionCount("not_engaged", form.Q2_NOT_ENGAGED_COLUMN, not_engaged, len(answers)),
        with_problem=OptionCount("problem", form.Q2_TEXT_COLUMN, len(texts), len(answers)),
        texts=tuple(texts),
    )


def _q3_row(row: form.Row, answers: Sequence[Mapping[str, Any]]) -> Q3Row:
    chosen = [_section(item, "q3").get(row.key) for item in answers]
    scores = [form.Q3_SCORES[value] for value in chosen if value in form.Q3_SCORES]
    return Q3Row(
        key=row.key,
        label=row.label,
        options=_count_options(form.Q3_OPTIONS, chosen),
        scored=len(scores),
        score_sum=sum(scores),
    )


def _q4_row(row: form.Row, answers: Sequence[Mapping[str, Any]]) -> Q4Row:
    cells = [_cell(item, "q4", row.key) for item in answers]
    return Q4Row(
        key=row.key,
        label=row.label,
        texts=tuple(_texts(cell.get("text") for cell in cells)),
        unsure=sum(1 for cell in cells if cell.get("unsure")),
    )


def _section(answers: Mapping[str, Any], question: str) -> Mapping[str, Any]:
    section = answers.get(question)
    return section if isinstance(section, Mapping) else {}


def _cell(answers: Mapping[str, Any], question: str, row: str) -> Mapping[str, Any]:
    cell = _section(answers, question).get(row)
    return cell if isinstance(cell, Mapping) else {}


def _texts(values: Iterable[Any]) -> Iterable[str]:
    """Yield the non-empty texts, stripped, in answer order."""
    for value in values:
        if isinstance(value, str) and value.strip():
            yield value.strip()
