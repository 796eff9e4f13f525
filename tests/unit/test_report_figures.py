"""Report periods, output choices and the share and index edge cases, without a database."""

from __future__ import annotations

import datetime
import errno
from pathlib import Path

import pytest

from mailbot.cli.report import output_format, survey_report_stem, ticket_report_stem
from mailbot.errors import ConfigurationError
from mailbot.reports.csv_out import format_csv_cell
from mailbot.reports.html import format_cell
from mailbot.reports.period import is_whole_month, parse_day, previous_month, resolve_period
from mailbot.reports.survey import OptionCount, Q3Row, _count_options, change, percent
from mailbot.reports.output import write_file, write_folder
from mailbot.reports.tables import Percent, group_texts, on_time_share
from mailbot.reports.tickets import Figures
from mailbot.survey import form

TODAY = datetime.date(2026, 12, 4)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("01.11.2026", datetime.date(2026, 11, 1)),
        ("1.2.2026", datetime.date(2026, 2, 1)),
        (" 2026-11-30 ", datetime.date(2026, 11, 30)),
        ("29.02.2028", datetime.date(2028, 2, 29)),
    ],
)
def test_parse_day_accepts(text: str, expected: datetime.date) -> None:
    assert parse_day(text) == expected


@pytest.mark.parametrize("text", ["31.02.2026", "2026-13-01", "29.02.2027"])
def test_parse_day_impossible_date(text: str) -> None:
    with pytest.raises(ConfigurationError, match=f"Дата «{text}» не существует"):
        parse_day(text)


@pytest.mark.parametrize("text", ["", "11/01/2026", "2026.11.01", "01.11.26", "завтра", "2026-1-1"])
def test_parse_day_unknown_shape(text: str) -> None:
    with pytest.raises(ConfigurationError, match="ДД.ММ.ГГГГ или ГГГГ-ММ-ДД"):
        parse_day(text)


def test_previous_month_across_year() -> None:
    assert previous_month(datetime.date(2027, 1, 15)) == (datetime.date(2026, 12, 1), datetime.date(2026, 12, 31))
    assert previous_month(datetime.date(2028, 3, 1)) == (datetime.date(2028, 2, 1), datetime.date(2028, 2, 29))


def test_resolve_period_defaults() -> None:
    assert resolve_period(None, None, TODAY) == (datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))
    assert resolve_period("20.11.2026", None, TODAY) == (datetime.date(2026, 11, 20), TODAY)
    assert resolve_period("2026-11-05", "05.11.2026", TODAY) == (datetime.date(2026, 11, 5),) * 2


def test_resolve_period_rejects() -> None:
    with pytest.raises(ConfigurationError, match="--from"):
        resolve_period(None, "30.11.2026", TODAY)
    with pytest.raises(ConfigurationError, match="раньше его начала"):
        resolve_period("30.11.2026", "01.11.2026", TODAY)


def test_whole_month_names_file() -> None:
    assert is_whole_month(datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert not is_whole_month(datetime.date(2026, 2, 1), datetime.date(2026, 2, 27))
    assert not is_whole_month(datetime.date(2026, 1, 1), datetime.date(2026, 2, 28))
    assert ticket_report_stem(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30)) == "otchet-obrashcheniya-2026-11"
    assert ticket_report_stem(datetime.date(2026, 11, 2), datetime.date(2026, 11, 30)) == (
        "otchet-obrashcheniya-2026-11-02--2026-11-30"
    )
    assert survey_report_stem(2026, None) == "otchet-anketa-2026"
    assert survey_report_stem(2026, 2025) == "otchet-anketa-2026-vs-2025"


def test_output_format_choice() -> None:
    assert output_format(None, None) == "xlsx"
    assert output_format(None, Path("x.HTML")) == "html"
    assert output_format(None, Path("x.htm")) == "html"
    assert output_format(None, Path("dir.v2/x.xlsx")) == "xlsx"
    assert output_format("csv", Path("folder")) == "csv"
    assert output_format("html", Path("x.xlsx")) == "html"
    with pytest.raises(ConfigurationError, match="папка"):
        output_format("csv", Path("x.csv"))
    with pytest.raises(ConfigurationError, match="--format csv"):
        output_format(None, Path("x.csv"))


@pytest.mark.parametrize("name", ["x.txt", "report.pdf", "folder", "otchet.xls"])
def test_output_format_unknown_suffix(name: str) -> None:
    with pytest.raises(ConfigurationError) as raised:
        output_format(None, Path(name))
    message = str(raised.value)
    assert f"«{name}»" in message
    assert ".xlsx" in message
    assert ".html" in message
    assert "--format csv" in message


def test_output_format_explicit_keeps_name() -> None:
    # With --format the name is the user's choice, whatever its extension.
    assert output_format("xlsx", Path("x.txt")) == "xlsx"
    assert output_format("html", Path("report")) == "html"
    assert output_format("csv", Path("x.txt")) == "csv"


def test_write_file_failure_keeps_old(tmp_path: Path) -> None:
    target = tmp_path / "r.html"
    target.write_text("old report", encoding="utf-8")

    def fail_halfway(path: Path) -> None:
        path.write_text("half a rep", encoding="utf-8")
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError):
        write_file(target, fail_halfway)
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["r.html"]

    write_file(target, lambda path: path.write_text("new report", encoding="utf-8"))
    assert target.read_text(encoding="utf-8") == "new report"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["r.html"]


def test_write_folder_failure_leaves_none(tmp_path: Path) -> None:
    folder = tmp_path / "csv"

    def fail_after_one(path: Path) -> None:
        (path / "summary.csv").write_text("a;b", encoding="utf-8")
        raise OSError(errno.EACCES, "Permission denied")

    with pytest.raises(OSError):
        write_folder(folder, fail_after_one)
    assert list(tmp_path.iterdir()) == []

    write_folder(folder, lambda path: (path / "summary.csv").write_text("new", encoding="utf-8"))
    (folder / "mine.txt").write_text("keep", encoding="utf-8")
    write_folder(folder, lambda path: (path / "summary.csv").write_text("newer", encoding="utf-8"))
    assert (folder / "summary.csv").read_text(encoding="utf-8") == "newer"
    assert (folder / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["csv"]


def test_group_texts_merges_case_spacing() -> None:
    texts = ["Нет доступа к базе ответов", "Медленно", "нет  доступа к базе ОТВЕТОВ", "Нет доступа к базе ответов ",
             "Медленно", "Другое"]
    assert group_texts(texts) == (("Нет доступа к базе ответов", 3), ("Медленно", 2), ("Другое", 1))
    assert group_texts([]) == ()


def test_percent_zero_total() -> None:
    assert percent(0, 0) is None
    assert percent(3, 0) is None
    assert percent(1, 3) == 33.3
    assert percent(2, 3) == 66.7
    assert percent(0, 5) == 0.0
    assert change(None, 50.0) is None
    assert change(50.0, None) is None
    assert change(100 / 3, 100 / 6) == 16.7


def test_q3_index_all_unsure() -> None:
    chosen = ["hard_to_say"] * 4
    scores = [form.Q3_SCORES[value] for value in chosen if value in form.Q3_SCORES]
    row = Q3Row("hardware", "Технические средства", _count_options(form.Q3_OPTIONS, chosen), len(scores), sum(scores))
    assert row.index is None
    assert row.option("hard_to_say").percent == 100.0
    assert row.option("fully_satisfied").percent == 0.0
    assert row.option(None).count == 0


def test_q3_index_excludes_unsure() -> None:
    # fully (3) + rather dissatisfied (1) = 4 of a possible 6; «Затрудняюсь» and a blank are left out.
    chosen = ["fully_satisfied", "rather_dissatisfied", "hard_to_say", None]
    scores = [form.Q3_SCORES[value] for value in chosen if value in form.Q3_SCORES]
    row = Q3Row("software", "ПО", _count_options(form.Q3_OPTIONS, chosen), len(scores), sum(scores))
    assert row.index == 66.7
    assert row.option("hard_to_say").percent == 25.0
    assert row.option(None).count == 1
    assert sum(option.count for option in row.options) == len(chosen)


def test_option_shares_no_responses() -> None:
    options = _count_options(form.Q1_OPTIONS, [])
    assert [option.count for option in options] == [0, 0, 0, 0]
    assert all(option.percent is None and option.share is None for option in options)
    assert OptionCount("x", "x", 1, 8).percent == 12.5


def test_on_time_share_counts_overdue() -> None:
    assert on_time_share(Figures(received=0, on_time=0, late=0, open=0, overdue=0, median_days=None)) is None
    # 3 on time of 3 + 1 late + 2 overdue; the open ticket not yet due does not count.
    assert on_time_share(Figures(received=7, on_time=3, late=1, open=3, overdue=2, median_days=1.0)) == 50.0


def test_cells_formatted_russian() -> None:
    assert format_cell(Percent(42.9)) == "42,9 %"
    assert format_cell(Percent(0)) == "0,0 %"
    assert format_cell(1.5) == "1,5"
    assert format_cell(None) == "—"
    assert format_cell(7) == "7"
    assert format_csv_cell(Percent(42.9)) == "42,9"
    assert format_csv_cell(None) == ""
    assert format_csv_cell(4.25) == "4,25"
