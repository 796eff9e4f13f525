"""Importing an earlier year's Form No. 1 results: validation messages and the stored shape."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailbot.app import Application, build_application
from mailbot.config import load_settings
from mailbot.db.models import SurveyCampaign, SurveyResponse
from mailbot.survey import form
from mailbot.survey.campaign import SurveyError
from mailbot.survey.csvfile import parse_csv
from mailbot.survey.history import check_table, expected_columns, import_results

NO_ENV_FILE = Path("/nonexistent/service.env")
COLUMNS = expected_columns()[0] + expected_columns()[1]


def satisfied_row(**cells: str) -> dict[str, str]:
    """Return the cells of a respondent who is rather satisfied with everything, with `cells` changed."""
    row = dict.fromkeys(COLUMNS, "")
    row["q1"] = "Скорее удовлетворен"
    for item in form.Q3_ROWS:
        row[f"q3.{item.key}"] = "rather_satisfied"
    row.update({key.replace("__", "."): value for key, value in cells.items()})
    return row


def csv_bytes(rows: list[dict[str, str]], *, columns: list[str] = COLUMNS, encoding: str = "utf-8") -> bytes:
    lines = [";".join(columns)]
    lines += [";".join(row.get(column, "") for column in columns) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def test_valid_row_has_stored_shape() -> None:
    row = satisfied_row(
        q1="скорее НЕ удовлетворен",
        q2__replies__text="Медленно открывается СЭД",
        q2__regulation__not_engaged="да",
        q3__hardware="Полностью не удовлетворен",
        q3__software="fully_satisfied",
        q3__hr_portal="",
        q4__hardware__text="Старый принтер",
        q5="Обновить компьютеры",
    )
    check = check_table(parse_csv(csv_bytes([row], encoding="cp1251")))
    assert check.problems == []
    [answers] = check.answers
    assert answers["q1"] == "rather_dissatisfied"
    assert answers["q2"] == {
        "replies": {"text": "Медленно открывается СЭД", "not_engaged": False},
        "regulation": {"text": "", "not_engaged": True},
        "consulting": {"text": "", "not_engaged": False},
    }
    q3 = answers["q3"]
    assert isinstance(q3, dict)
    assert set(q3) == {item.key for item in form.Q3_ROWS}
    assert q3["hardware"] == "fully_dissatisfied"
    assert q3["software"] == "fully_satisfied"
    assert q3["hr_portal"] == "hard_to_say"
    assert answers["q4"] == {"hardware": {"text": "Старый принтер", "unsure": False}}
    assert answers["q5"] == "Обновить компьютеры"


def test_negative_row_without_q4_text_is_kept_empty() -> None:
    check = check_table(parse_csv(csv_bytes([satisfied_row(q3__internet="Скорее не удовлетворен", q4__internet__unsure="x")])))
    assert check.problems == []
    assert check.answers[0]["q4"] == {"internet": {"text": "", "unsure": True}}


def test_bad_values_are_reported_by_line() -> None:
    rows = [
        satisfied_row(),
        satisfied_row(q1="Доволен"),
        satisfied_row(q2__consulting__not_engaged="может быть"),
        satisfied_row(q4__software__text="Не нравится"),
        satisfied_row(q5="я" * (form.MAX_TEXT_LENGTH + 1)),
    ]
    check = check_table(parse_csv(csv_bytes(rows)))
    assert len(check.answers) == 1
    assert len(check.problems) == 4
    assert check.problems[0].startswith("строка 3: в столбце q1 значение «Доволен» не подходит")
    assert check.problems[1].startswith("строка 4: в столбце q2.consulting.not_engaged значение «может быть»")
    assert check.problems[2].startswith("строка 5: вопрос 4 заполнен по строке «Программное обеспечение»")
    assert check.problems[3].startswith(f"строка 6: в столбце q5 текст длиннее {form.MAX_TEXT_LENGTH} знаков")


def test_header_problems() -> None:
    columns = [column for column in COLUMNS if column != "q3.forms"] + ["q3.hardwar", "Q1", "q6"]
    check = check_table(parse_csv(csv_bytes([satisfied_row()], columns=columns)))
    assert check.answers == []
    assert "строка 1: столбец «q1» указан дважды" in check.problems
    assert "строка 1: неизвестный столбец «q3.hardwar»" in check.problems
    assert "строка 1: неизвестный столбец «q6»" in check.problems
    assert "строка 1: нет обязательного столбца «q3.forms»" in check.problems


def test_allowed_columns_listed_once() -> None:
    columns = COLUMNS + ["q3.hardwar", "q6", "q7"]
    check = check_table(parse_csv(csv_bytes([satisfied_row()], columns=columns)))
    listings = [problem for problem in check.problems if "допустимые столбцы" in problem]
    assert listings == [f"строка 1: допустимые столбцы: {', '.join(COLUMNS)}"]
    assert len(COLUMNS) == 35


def test_optional_columns_may_be_absent() -> None:
    required = expected_columns()[0]
    check = check_table(parse_csv(csv_bytes([satisfied_row()], columns=required)))
    assert check.problems == []
    assert check.answers[0]["q5"] == ""


def test_extra_cells_are_reported() -> None:
    data = csv_bytes([satisfied_row()]).rstrip(b"\r\n") + b";lost\r\n"
    check = check_table(parse_csv(data))
    assert check.problems == ["строка 2: лишние значения за последним столбцом: lost"]


@pytest.fixture
def application(database_url: str, tmp_path: Path) -> Iterator[Application]:
    settings = load_settings(NO_ENV_FILE, database_url=database_url, storage_dir=tmp_path / "storage")
    application = build_application(settings)
    yield application
    application.engine.dispose()


def counts(application: Application) -> tuple[int, int]:
    with application.session_factory() as session:
        campaigns = session.scalar(select(func.count()).select_from(SurveyCampaign))
        responses = session.scalar(select(func.count()).select_from(SurveyResponse))
    return campaigns or 0, responses or 0


def test_import_stores_closed_campaign(application: Application, tmp_path: Path) -> None:
    path = tmp_path / "2025.csv"
    path.write_bytes(csv_bytes([satisfied_row(), satisfied_row(q1="hard_to_say")]))
    check = import_results(application.session_factory, path, year=2025, submitted_on=datetime.date(2025, 12, 31))
    assert check.problems == []

    with application.session_factory() as session:
        campaign = session.scalars(select(SurveyCampaign)).one()
        responses = list(session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))
    assert campaign.year == 2025
    assert campaign.origin == "import"
    assert campaign.closed_at is not None
    assert [response.answers["q1"] for response in responses] == ["rather_satisfied", "hard_to_say"]
    assert {response.submitted_on for response in responses} == {datetime.date(2025, 12, 31)}
    assert all(response.campaign_id == campaign.id for response in responses)


def test_import_is_all_or_nothing(application: Application, tmp_path: Path) -> None:
    path = tmp_path / "2025.csv"
    path.write_bytes(csv_bytes([satisfied_row(), satisfied_row(q3__reports="отлично")]))
    check = import_results(application.session_factory, path, year=2025, submitted_on=datetime.date(2025, 12, 31))
    assert len(check.problems) == 1
    assert check.problems[0].startswith("строка 3: в столбце q3.reports")
    assert counts(application) == (0, 0)


def test_import_rejects_year_twice(application: Application, tmp_path: Path) -> None:
    path = tmp_path / "2025.csv"
    path.write_bytes(csv_bytes([satisfied_row()]))
    import_results(application.session_factory, path, year=2025, submitted_on=datetime.date(2025, 12, 31))
    with pytest.raises(SurveyError, match="Результаты за 2025 год уже загружены.*--replace"):
        import_results(application.session_factory, path, year=2025, submitted_on=datetime.date(2025, 12, 31))
    assert counts(application) == (1, 1)


def test_import_replace_swaps_responses(application: Application, tmp_path: Path) -> None:
    path = tmp_path / "2025.csv"
    path.write_bytes(csv_bytes([satisfied_row()]))
    import_results(application.session_factory, path, year=2025, submitted_on=datetime.date(2025, 12, 31))

    path.write_bytes(csv_bytes([satisfied_row(q1="hard_to_say"), satisfied_row(q1="rather_dissatisfied")]))
    check = import_results(
        application.session_factory, path, year=2025, submitted_on=datetime.date(2025, 12, 1), replace=True
    )

    assert check.problems == []
    assert counts(application) == (1, 2)
    with application.session_factory() as session:
        responses = list(session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)))
    assert [response.answers["q1"] for response in responses] == ["hard_to_say", "rather_dissatisfied"]
    assert {response.submitted_on for response in responses} == {datetime.date(2025, 12, 1)}
