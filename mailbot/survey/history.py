"""Load an earlier year's Form No. 1 results from CSV, so that reports can compare years.

The file has a header row and one row per respondent. Columns are named by
the keys of mailbot.survey.form (any letter case, any order):

    q1                          Q1 answer
    q2.<row>.text               Q2 problems, free text; <row> is replies, regulation, consulting
    q2.<row>.not_engaged        Q2 «Не занимаюсь этим» mark
    q3.<row>                    Q3 answer for each of the nine rows: hardware, software,
                                maintenance, document_flow, hr_portal, forms, reports,
                                internet, other_bodies
    q4.<row>.text               Q4 problem, free text, for the same nine rows
    q4.<row>.unsure             Q4 «Затрудняюсь ответить» mark
    q5                          Q5 answer, free text

Columns q1 and all nine q3.<row> are required; a missing optional column
reads as empty cells. An answer to Q1 or Q3 is the option's Russian label
(«Скорее удовлетворен») or its key (rather_satisfied), in any letter case.
An empty Q1 or Q3 cell means the question was left blank on paper and is
stored as «Затрудняюсь ответить», which the satisfaction index leaves out.
A mark is true for «да», «x», «х», «+», «1», «yes», «true», «v», «✓», and
false for an empty cell, «нет», «0», «-», «no», «false». Q4 may be
filled only for rows answered «Скорее не удовлетворен» or «Полностью не
удовлетворен» in Q3; every such row is stored in Q4, empty when the cells are.

The file is read as UTF-8 (with or without BOM) or windows-1251, with «;» or
«,» between fields. Every row is checked first and the import is all or
nothing: one invalid row imports nothing and every problem is reported with
its line number, so the corrected file can simply be imported again.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import re
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from mailbot.db.models import SurveyCampaign, SurveyResponse, utcnow
from mailbot.survey import form
from mailbot.survey.campaign import IMPORT_ORIGIN, SurveyError, find_campaign
from mailbot.survey.csvfile import CsvRow, CsvTable, read_csv_file

logger = logging.getLogger(__name__)

TRUE_MARKS = frozenset({"да", "x", "х", "+", "1", "yes", "true", "v", "✓", "✔"})
FALSE_MARKS = frozenset({"", "нет", "0", "-", "no", "false"})
BLANK_ANSWER = "hard_to_say"
# Control characters other than tab and newline; PostgreSQL cannot store NUL in text.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# Records one Russian problem of the row being checked.
Complain = Callable[[str], None]


@dataclasses.dataclass(frozen=True)
class ImportCheck:
    """The answers of every valid row and a Russian message for each problem found."""

    answers: list[dict[str, object]]
    problems: list[str]


def expected_columns() -> tuple[list[str], list[str]]:
    """Return the required and the optional column names of an import file."""
    required = ["q1"] + [f"q3.{row.key}" for row in form.Q3_ROWS]
    optional = [f"q2.{row.key}.{field}" for row in form.Q2_ROWS for field in ("text", "not_engaged")]
    optional += [f"q4.{row.key}.{field}" for row in form.Q3_ROWS for field in ("text", "unsure")]
    optional.append("q5")
    return required, optional


def check_table(table: CsvTable) -> ImportCheck:
    """Validate the header and every row; return the answers in the stored shape and the problems."""
    problems = _header_problems(table.header)
    if problems:
        return ImportCheck([], problems)
    columns = {name.strip().lower(): name for name in table.header if name.strip()}
    answers = []
    for row in table.rows:
        cells = {key: row.cells.get(name, "") for key, name in columns.items()}
        answer, row_problems = row_answers(row, cells)
        problems.extend(row_problems)
        if answer is not None:
            answers.append(answer)
    if not table.rows:
        problems.append("в файле нет ни одной строки с ответами")
    return ImportCheck(answers, problems)


def _header_problems(header: list[str]) -> list[str]:
    required, optional = expected_columns()
    known = set(required) | set(optional)
    names = [name.strip().lower() for name in header if name.strip()]
    problems = []
    for name in sorted({name for name in names if names.count(name) > 1}):
        problems.append(f"строка 1: столбец «{name}» указан дважды")
    unknown = [name for name in names if name not in known]
    for name in unknown:
        problems.append(f"строка 1: неизвестный столбец «{name}»")
    if unknown:
        problems.append(f"строка 1: допустимые столбцы: {', '.join(required + optional)}")
    for name in required:
        if name not in names:
            problems.append(f"строка 1: нет обязательного столбца «{name}»")
    return problems


def row_answers(row: CsvRow, cells: dict[str, str]) -> tuple[dict[str, object] | None, list[str]]:
    """Build one respondent's answers from `cells` (keyed by lower-case column name), or say what is wrong."""
    problems: list[str] = []

    def complain(text: str) -> None:
        problems.append(f"строка {row.line}: {text}")

    if row.extra:
        complain(f"лишние значения за последним столбцом: {'; '.join(row.extra)}")
    q1 = _choice(cells.get("q1", ""), form.Q1_OPTIONS, "q1", complain)
    q2 = {
        item.key: {
            "text": _text(cells.get(f"q2.{item.key}.text", ""), f"q2.{item.key}.text", complain),
            "not_engaged": _mark(cells.get(f"q2.{item.key}.not_engaged", ""), f"q2.{item.key}.not_engaged", complain),
        }
        for item in form.Q2_ROWS
    }
    q3 = {item.key: _choice(cells.get(f"q3.{item.key}", ""), form.Q3_OPTIONS, f"q3.{item.key}", complain) for item in form.Q3_ROWS}
    q4 = _q4_answers(cells, q3, complain)
    q5 = _text(cells.get("q5", ""), "q5", complain)
    if problems:
        return None, problems
    return {"q1": q1, "q2": q2, "q3": q3, "q4": q4, "q5": q5}, []


def _q4_answers(cells: dict[str, str], q3: dict[str, str], complain: Complain) -> dict[str, dict[str, object]]:
    q4: dict[str, dict[str, object]] = {}
    for item in form.Q3_ROWS:
        text_column, unsure_column = f"q4.{item.key}.text", f"q4.{item.key}.unsure"
        text = _text(cells.get(text_column, ""), text_column, complain)
        unsure = _mark(cells.get(unsure_column, ""), unsure_column, complain)
        if q3[item.key] in form.Q3_NEGATIVE:
            q4[item.key] = {"text": text, "unsure": unsure}
        elif text or unsure:
            complain(
                f"вопрос 4 заполнен по строке «{item.label}», но в вопросе 3 по ней не выбрано "
                "«Скорее не удовлетворен» или «Полностью не удовлетворен»; уберите ответ или исправьте вопрос 3"
            )
    return q4


def _fold(value: str) -> str:
    return " ".join(value.lower().replace("ё", "е").split()).rstrip(".")


def _choice(value: str, choices: tuple[form.Choice, ...], column: str, complain: Complain) -> str:
    if not value.strip():
        return BLANK_ANSWER
    folded = _fold(value)
    for choice in choices:
        if folded in (choice.key, _fold(choice.label)):
            return choice.key
    labels = ", ".join(f"«{choice.label}»" for choice in choices)
    complain(f"в столбце {column} значение «{value}» не подходит; допустимы: {labels} или их ключи")
    return BLANK_ANSWER


def _mark(value: str, column: str, complain: Complain) -> bool:
    folded = value.strip().lower()
    if folded in TRUE_MARKS:
        return True
    if folded not in FALSE_MARKS:
        complain(f"в столбце {column} значение «{value}» не подходит; ожидается «да» или пустая ячейка")
    return False


def _text(value: str, column: str, complain: Complain) -> str:
    """Return the cell with LF line ends and without control characters, as the web form stores text."""
    text = _CONTROL_CHARACTERS.sub("", value.replace("\r\n", "\n").replace("\r", "\n")).strip()
    if len(text) > form.MAX_TEXT_LENGTH:
        complain(f"в столбце {column} текст длиннее {form.MAX_TEXT_LENGTH} знаков ({len(text)})")
    return text


def check_can_import(session: Session, year: int, *, replace: bool) -> SurveyCampaign | None:
    """Return the imported campaign that `replace` replaces, or None when `year` has none.

    Raises SurveyError when the year has a campaign run by mailbot, when it
    has imported results and `replace` is off, and when `replace` is on but
    nothing was imported for the year.
    """
    campaign = find_campaign(session, year)
    if campaign is None:
        if replace:
            raise SurveyError(f"Результаты за {year} год ещё не загружались, заменять нечего. Повторите команду без --replace.")
        return None
    if campaign.origin != IMPORT_ORIGIN:
        raise SurveyError(
            f"За {year} год опрос проводила ИТ-служба («mailbot survey start»), его анкеты уже в базе. "
            "Загрузить результаты из файла можно только за год, в котором опрос не проводился."
        )
    if not replace:
        raise SurveyError(
            f"Результаты за {year} год уже загружены. Чтобы заменить их анкетами из этого файла, "
            "повторите команду с --replace."
        )
    return campaign


def import_results(
    session_factory: sessionmaker[Session],
    path: Path,
    *,
    year: int,
    submitted_on: datetime.date,
    replace: bool = False,
) -> ImportCheck:
    """Check the file and, when every row is valid, store it as the closed campaign of `year`.

    With `replace`, the year's earlier import (campaign and responses) is
    deleted in the same transaction that stores the new one, so a failure
    keeps the earlier results. Returns the check, and nothing changes when it lists problems.
    Raises SurveyError when check_can_import rejects the year.
    """
    with session_factory() as session:
        check_can_import(session, year, replace=replace)
    check = check_table(read_csv_file(path))
    if check.problems:
        return check
    try:
        with session_factory.begin() as session:
            replaced = check_can_import(session, year, replace=replace)
            if replaced is not None:
                _delete_import(session, replaced.id)
            _store_import(session, year, submitted_on, check.answers)
    except IntegrityError:
        # Another import of the same year committed between our check and our insert.
        with session_factory() as session:
            check_can_import(session, year, replace=False)
        raise
    logger.info("survey results imported", extra={"year": year, "responses": len(check.answers), "replaced": replace})
    return check


def _delete_import(session: Session, campaign_id: int) -> None:
    """Delete an imported campaign with core statements, so they run before the new campaign's insert."""
    session.execute(delete(SurveyResponse).where(SurveyResponse.campaign_id == campaign_id))
    session.execute(delete(SurveyCampaign).where(SurveyCampaign.id == campaign_id))


def _store_import(session: Session, year: int, submitted_on: datetime.date, answers: list[dict[str, object]]) -> None:
    now = utcnow()
    campaign = SurveyCampaign(year=year, started_at=now, closed_at=now, origin=IMPORT_ORIGIN)
    session.add(campaign)
    session.flush()
    session.add_all(SurveyResponse(campaign_id=campaign.id, submitted_on=submitted_on, answers=item) for item in answers)
