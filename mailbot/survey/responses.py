"""Validating posted Form No. 1 answers and storing them once per invitation.

The web form posts these fields (the keys come from mailbot.survey.form):

    q1                      one of Q1_OPTIONS
    q2_<row>_text           free text;  q2_<row>_not_engaged  checkbox
    q3_<row>                one of Q3_OPTIONS, required in every row
    q4_<row>_text           free text;  q4_<row>_unsure       checkbox
    q5                      free text

`parse_answers` turns them into the stored shape documented in
mailbot.survey.form, or into Russian error messages keyed by the field
group (`q1`, `q2_<row>`, `q3_<row>`, `q4_<row>`, `q5`). A message is
shown beside its group; the summary at the top of the page prefixes it
with the group's place from `error_place`.
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import hmac
import logging
import re
from collections.abc import Mapping

from sqlalchemy import update
from sqlalchemy.orm import Session

from mailbot.db.models import SurveyCampaign, SurveyInvitation, SurveyResponse
from mailbot.signing import InvitationToken, secret_sha256
from mailbot.survey import form
from mailbot.survey.state import accepts_answers

logger = logging.getLogger(__name__)

# Control characters other than tab and newline; PostgreSQL cannot store NUL in text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Outcome(enum.Enum):
    """What became of an invitation link: the page shown depends on it."""

    OPEN = "open"
    STORED = "stored"
    ALREADY_ANSWERED = "already_answered"
    CLOSED = "closed"
    # A valid link that a reminder's newer link replaced.
    OUTDATED = "outdated"
    FORGED = "forged"


@dataclasses.dataclass(frozen=True)
class ParsedAnswers:
    """Either `answers` in the stored shape, or `errors` by field group (never both)."""

    answers: dict[str, object] | None
    errors: dict[str, str]


def clean_text(value: str) -> str:
    """Strip the text, use \\n line ends and drop control characters."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL_CHARACTERS.sub("", value).strip()


def parse_answers(posted: Mapping[str, str]) -> ParsedAnswers:
    """Validate posted form fields; Q4 rows not answered negatively in Q3 are dropped."""
    errors: dict[str, str] = {}
    q1 = _parse_choice(posted, "q1", form.Q1_OPTIONS, errors)
    q2 = {row.key: _parse_q2_row(posted, row, errors) for row in form.Q2_ROWS}
    q3 = {row.key: _parse_q3_row(posted, row, errors) for row in form.Q3_ROWS}
    negative_rows = [row for row in form.Q3_ROWS if q3[row.key] in form.Q3_NEGATIVE]
    q4 = {row.key: _parse_q4_row(posted, row, errors) for row in negative_rows}
    q5 = _parse_text(posted, "q5", "q5", errors)

    if errors:
        return ParsedAnswers(None, errors)
    return ParsedAnswers({"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5}, {})


def error_place(group: str) -> str:
    """Return where a field group is on the form, in Russian, such as "Вопрос 3, «Кадровый портал»"."""
    question, _, row_key = group.partition("_")
    number = question.removeprefix("q")
    if not row_key:
        return f"Вопрос {number}"
    rows = form.Q2_ROWS if question == "q2" else form.Q3_ROWS
    return f"Вопрос {number}, «{form.label(rows, row_key)}»"


def _parse_choice(
    posted: Mapping[str, str], field: str, choices: tuple[form.Choice, ...], errors: dict[str, str]
) -> str:
    value = posted.get(field, "")
    if value not in {choice.key for choice in choices}:
        errors[field] = "Выберите один из ответов."
    return value


def _parse_text(posted: Mapping[str, str], field: str, group: str, errors: dict[str, str]) -> str:
    text = clean_text(posted.get(field, ""))
    if len(text) > form.MAX_TEXT_LENGTH:
        errors[group] = f"Текст длиннее {form.MAX_TEXT_LENGTH} знаков (сейчас {len(text)}). Сократите его."
    return text


def _checked(posted: Mapping[str, str], field: str) -> bool:
    return bool(posted.get(field, ""))


def _parse_q2_row(posted: Mapping[str, str], row: form.Row, errors: dict[str, str]) -> dict[str, object]:
    """Parse one activity; an empty row means the respondent met no problems there."""
    group = f"q2_{row.key}"
    text = _parse_text(posted, f"{group}_text", group, errors)
    not_engaged = _checked(posted, f"{group}_not_engaged")
    if text and not_engaged:
        errors[group] = f"Укажите проблемы или отметьте «{form.Q2_NOT_ENGAGED_COLUMN}», но не то и другое сразу."
    return {"text": text, "not_engaged": not_engaged}


def _parse_q3_row(posted: Mapping[str, str], row: form.Row, errors: dict[str, str]) -> str:
    return _parse_choice(posted, f"q3_{row.key}", form.Q3_OPTIONS, errors)


def _parse_q4_row(posted: Mapping[str, str], row: form.Row, errors: dict[str, str]) -> dict[str, object]:
    group = f"q4_{row.key}"
    text = _parse_text(posted, f"{group}_text", group, errors)
    unsure = _checked(posted, f"{group}_unsure")
    if text and unsure:
        errors[group] = f"Укажите проблему или отметьте «{form.Q4_UNSURE_COLUMN}», но не то и другое сразу."
    elif not text and not unsure:
        errors[group] = f"Укажите проблему или отметьте «{form.Q4_UNSURE_COLUMN}»."
    return {"text": text, "unsure": unsure}


def check_invitation(session: Session, token: InvitationToken, today: datetime.date) -> Outcome:
    """Return OPEN when the invitation may still answer, else the reason it may not."""
    outcome, _ = _find_open_invitation(session, token, today)
    return outcome


def submit(
    session: Session, token: InvitationToken, answers: dict[str, object], today: datetime.date
) -> Outcome:
    """Store `answers` for the invitation inside the caller's transaction, at most once.

    The invitation is marked answered by a conditional UPDATE, so of two
    simultaneous submits only the one whose UPDATE changes the row stores
    its answers. The stored response carries the campaign and the date only,
    never the invitation, which keeps the answers anonymous.
    """
    outcome, invitation = _find_open_invitation(session, token, today)
    if invitation is None:
        logger.info("survey answers rejected", extra={"outcome": outcome.value})
        return outcome

    marked = session.execute(
        update(SurveyInvitation)
        .where(SurveyInvitation.id == invitation.id, SurveyInvitation.answered.is_(False))
        .values(answered=True)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount != 1:  # type: ignore[attr-defined]
        logger.info("survey answers rejected", extra={"outcome": Outcome.ALREADY_ANSWERED.value})
        return Outcome.ALREADY_ANSWERED

    session.add(SurveyResponse(campaign_id=invitation.campaign_id, submitted_on=today, answers=answers))
    logger.info("survey answers stored", extra={"campaign_id": invitation.campaign_id})
    return Outcome.STORED


def _find_open_invitation(
    session: Session, token: InvitationToken, today: datetime.date
) -> tuple[Outcome, SurveyInvitation | None]:
    """Return (OPEN, the invitation) when it may still answer, else (the reason, None).

    The token's signature is already checked, so a secret that does not
    match the stored hash is an older link of this person: a reminder
    replaced it.
    """
    invitation = session.get(SurveyInvitation, token.invitation_id)
    if invitation is None:
        return Outcome.FORGED, None
    if invitation.answered:
        return Outcome.ALREADY_ANSWERED, None
    if not hmac.compare_digest(invitation.secret_sha256, secret_sha256(token.secret)):
        return Outcome.OUTDATED, None
    campaign = session.get(SurveyCampaign, invitation.campaign_id)
    if campaign is None or not accepts_answers(campaign, today):
        return Outcome.CLOSED, None
    return Outcome.OPEN, invitation
