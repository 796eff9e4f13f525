"""The tickets and survey reports on a seeded database, every figure checked against a count made here."""

from __future__ import annotations

import csv
import dataclasses
import datetime
import random
import statistics
import zoneinfo
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from mailbot.app import open_database
from mailbot.cli import main
from mailbot.db.engine import create_session_factory
from mailbot.db.models import (
    Channel,
    Direction,
    SurveyCampaign,
    SurveyInvitation,
    SurveyResponse,
    ThreadEntry,
    Ticket,
    TicketFeedback,
    TicketStatus,
)
from mailbot.processes import Process
from mailbot.reports.csv_out import write_survey_csv, write_ticket_csv
from mailbot.reports.html import render_survey_html, render_ticket_html
from mailbot.reports.survey import CampaignNotFound, SurveyReport, build_survey_report
from mailbot.reports.tickets import TicketReport, build_ticket_report
from mailbot.reports.xlsx import write_survey_xlsx, write_ticket_xlsx
from mailbot.survey import form
from mailbot.tickets.views import CHANNEL_RU
from tests.unit.test_reminders import make_settings

pytestmark = pytest.mark.integration

MSK = zoneinfo.ZoneInfo("Europe/Moscow")
NOW = datetime.datetime(2026, 12, 4, 12, 0, tzinfo=MSK)
FIRST_DAY = datetime.date(2026, 11, 1)
LAST_DAY = datetime.date(2026, 11, 30)
ASSIGNEES = (None, "petrov.it@committee.example", "sidorov.it@committee.example", "ivanova.it@committee.example")
PROCESSES = (None, *range(1, 9))
HOSTILE_TEXT = "<script>alert(1)</script> & «кавычки»"


@pytest.fixture
def session_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    """A migrated database; the reports need neither mail servers nor the classifier."""
    engine = open_database(make_settings(database_url))
    yield create_session_factory(engine)
    engine.dispose()


# Tickets: the seed and the expected figures.

@dataclasses.dataclass
class Spec:
    process: int | None
    channel: Channel
    assignee: str | None
    received_at: datetime.datetime
    due_at: datetime.datetime
    status: TicketStatus
    answers: list[datetime.datetime]
    closed_at: datetime.datetime | None
    updated_at: datetime.datetime
    rating: int | None


def random_ticket_specs(count: int = 220) -> list[Spec]:
    generator = random.Random(20261204)
    first = datetime.datetime(2026, 10, 10, tzinfo=MSK)
    span = (NOW - first).total_seconds()
    specs = []
    for _ in range(count):
        received_at = first + datetime.timedelta(seconds=generator.uniform(0, span - 60))
        due_at = received_at + datetime.timedelta(days=generator.randint(0, 35), hours=generator.randint(1, 10))
        status = generator.choice(list(TicketStatus))
        answers: list[datetime.datetime] = []
        closed_at = None
        updated_at = received_at + datetime.timedelta(hours=1)
        if status in (TicketStatus.ANSWERED, TicketStatus.CLOSED) or generator.random() < 0.2:
            # Some answers fall after NOW: as of NOW those tickets are still unanswered.
            answer_at = received_at + (due_at - received_at) * generator.uniform(0.05, 1.6)
            shape = generator.random()
            if status == TicketStatus.CLOSED and shape < 0.3:
                closed_at = answer_at
            elif status == TicketStatus.ANSWERED and shape < 0.2:
                updated_at = answer_at
            else:
                answers = [answer_at, answer_at + datetime.timedelta(hours=generator.randint(1, 30))]
                generator.shuffle(answers)
        specs.append(Spec(
            process=generator.choice(PROCESSES),
            channel=generator.choice(list(Channel)),
            assignee=generator.choice(ASSIGNEES),
            received_at=received_at,
            due_at=due_at,
            status=status,
            answers=answers,
            closed_at=closed_at,
            updated_at=updated_at,
            rating=generator.choice([None, None, 1, 2, 3, 4, 5, 5]),
        ))
    return specs + edge_ticket_specs()


def edge_ticket_specs() -> list[Spec]:
    """Arrivals on the period's local boundaries and answers exactly at and just after the deadline."""
    due_at = datetime.datetime(2026, 11, 20, 18, 0, tzinfo=MSK)
    moments = [
        (datetime.datetime(2026, 11, 1, 0, 0, tzinfo=MSK), [due_at]),
        (datetime.datetime(2026, 11, 30, 23, 59, 59, tzinfo=MSK), [due_at + datetime.timedelta(seconds=1)]),
        (datetime.datetime(2026, 10, 31, 23, 59, 59, tzinfo=MSK), [due_at]),
        (datetime.datetime(2026, 12, 1, 0, 0, tzinfo=MSK), []),
    ]
    return [
        Spec(process=6, channel=Channel.EMAIL, assignee=None, received_at=received_at, due_at=due_at,
             status=TicketStatus.ANSWERED if answers else TicketStatus.OPEN, answers=answers, closed_at=None,
             updated_at=received_at, rating=None)
        for received_at, answers in moments
    ]


def seed_tickets(session_factory: sessionmaker[Session], specs: list[Spec]) -> None:
    with session_factory.begin() as session:
        for index, spec in enumerate(specs, start=1):
            ticket = Ticket(
                number=f"IT-2026-{index:05d}", process=spec.process, status=spec.status, channel=spec.channel,
                requester_address=f"user{index}@committee.example", received_at=spec.received_at,
                due_date=spec.due_at.date(), due_at=spec.due_at, closed_at=spec.closed_at, assignee=spec.assignee,
                created_at=spec.received_at, updated_at=spec.updated_at,
            )
            session.add(ticket)
            session.flush()
            entries = [
                (spec.received_at, Direction.INBOUND, "request"),
                (spec.received_at + datetime.timedelta(minutes=1), Direction.OUTBOUND, "acknowledgement"),
                # A requester's message of kind "answer" is no answer of ours.
                (spec.received_at + datetime.timedelta(minutes=2), Direction.INBOUND, "answer"),
                *((moment, Direction.OUTBOUND, "answer") for moment in spec.answers),
            ]
            for created_at, direction, kind in entries:
                session.add(ThreadEntry(ticket_id=ticket.id, direction=direction, kind=kind, created_at=created_at))
            if spec.rating is not None:
                session.add(TicketFeedback(ticket_id=ticket.id, process=spec.process, rating=spec.rating,
                                           source="link"))


def expected_answer_time(spec: Spec) -> datetime.datetime | None:
    if spec.answers:
        return min(spec.answers)
    if spec.status not in (TicketStatus.ANSWERED, TicketStatus.CLOSED):
        return None
    return spec.closed_at or spec.updated_at


def in_period(spec: Spec) -> bool:
    return FIRST_DAY <= spec.received_at.astimezone(MSK).date() <= LAST_DAY


def expected_figures(specs: list[Spec]) -> dict[str, Any]:
    on_time = late = overdue = 0
    days = []
    for spec in specs:
        answered_at = expected_answer_time(spec)
        if answered_at is not None and answered_at <= NOW:
            days.append((answered_at - spec.received_at).total_seconds() / 86400)
            if answered_at <= spec.due_at:
                on_time += 1
            else:
                late += 1
        elif spec.due_at < NOW:
            overdue += 1
    return {
        "received": len(specs),
        "on_time": on_time,
        "late": late,
        "open": len(specs) - on_time - late,
        "overdue": overdue,
        "median_days": round(statistics.median(days), 1) if days else None,
    }


def figures_of(figures: Any) -> dict[str, Any]:
    return {name: getattr(figures, name) for name in ("received", "on_time", "late", "open", "overdue", "median_days")}


def expected_rating(specs: list[Spec]) -> tuple[float | None, int]:
    ratings = [spec.rating for spec in specs if spec.rating is not None]
    return (round(sum(ratings) / len(ratings), 2) if ratings else None), len(ratings)


@pytest.fixture
def ticket_report(session_factory: sessionmaker[Session]) -> tuple[TicketReport, list[Spec]]:
    specs = random_ticket_specs()
    seed_tickets(session_factory, specs)
    with session_factory() as session:
        report = build_ticket_report(session, FIRST_DAY, LAST_DAY, now=NOW, tz=MSK)
    return report, [spec for spec in specs if in_period(spec)]


def test_ticket_figures_match_counts(ticket_report: tuple[TicketReport, list[Spec]]) -> None:
    report, specs = ticket_report
    expected = expected_figures(specs)
    assert figures_of(report.total) == expected
    # The seed must exercise every outcome and every source of the answer time.
    assert min(expected["on_time"], expected["late"], expected["open"], expected["overdue"]) >= 5
    assert expected["open"] > expected["overdue"]
    assert any(spec.answers and min(spec.answers) > NOW for spec in specs)
    assert any(not spec.answers and spec.closed_at is not None for spec in specs)
    assert any(not spec.answers and spec.status == TicketStatus.ANSWERED and spec.closed_at is None
               for spec in specs)

    assert [row.process for row in report.by_process] == [*range(1, 9), None]
    for row in report.by_process:
        mine = [spec for spec in specs if spec.process == row.process]
        assert figures_of(row.figures) == expected_figures(mine), row.title
        assert row.channels == tuple(sum(spec.channel == channel for spec in mine) for channel in Channel)
        assert (row.rating_mean, row.rating_count) == expected_rating(mine)
        assert row.title == (Process(row.process).title_ru if row.process else "не определён")

    assert [row.label for row in report.by_channel] == [CHANNEL_RU[channel] for channel in Channel]
    for channel, channel_row in zip(Channel, report.by_channel):
        assert figures_of(channel_row.figures) == expected_figures([spec for spec in specs if spec.channel == channel])

    names = sorted(address for address in ASSIGNEES if address) + ["не назначен"]
    assert [row.label for row in report.by_assignee] == names
    for assignee_row in report.by_assignee:
        mine = [spec for spec in specs if (spec.assignee or "не назначен") == assignee_row.label]
        assert figures_of(assignee_row.figures) == expected_figures(mine), assignee_row.label

    assert (report.rating_mean, report.rating_count) == expected_rating(specs)
    assert report.generated_at == NOW


def test_ticket_period_bounds_local(ticket_report: tuple[TicketReport, list[Spec]]) -> None:
    report, specs = ticket_report
    boundary = [spec for spec in specs if spec.process == 6 and spec.assignee is None and spec.rating is None
                and spec.due_at == datetime.datetime(2026, 11, 20, 18, 0, tzinfo=MSK)]
    # Of the four boundary arrivals only 1 November 00:00 and 30 November 23:59:59 are in the period.
    assert sorted(spec.received_at.day for spec in boundary) == [1, 30]
    assert report.total.received == len(specs)


def test_ticket_xlsx_reopens(ticket_report: tuple[TicketReport, list[Spec]], tmp_path: Path) -> None:
    report, specs = ticket_report
    path = tmp_path / "tickets.xlsx"
    write_ticket_xlsx(report, path)
    workbook = openpyxl.load_workbook(path)

    assert workbook.sheetnames == ["Сводка", "По процессам", "По каналам", "По исполнителям"]
    sheet = workbook["По процессам"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:5] == ["Код", "Процесс", "Получено письменно", "Получено по телефону", "Получено лично"]
    assert headers[5:12] == ["Получено", "Ответ в срок", "Ответ с опозданием", "Доля в срок, %", "Без ответа",
                             "Из них просрочено", "Медиана, дней до ответа"]
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet.freeze_panes == "A2"
    assert len(sheet._charts) == 1
    series = sheet._charts[0].series
    assert [cell_at(sheet, item.tx.strRef.f).value for item in series] == [
        "В срок", "С опозданием", "Без ответа, срок не истёк", "Просрочено"]

    for row_index, process in enumerate([*range(1, 9), None], start=2):
        values = [cell.value for cell in sheet[row_index]]
        mine = [spec for spec in specs if spec.process == process]
        expected = expected_figures(mine)
        assert values[0] == (process if process is not None else "—")
        assert values[2:5] == [sum(spec.channel == channel for spec in mine) for channel in Channel]
        assert values[5:8] == [expected["received"], expected["on_time"], expected["late"]]
        assert values[9:12] == [expected["open"], expected["overdue"], expected["median_days"]]
        decided = expected["on_time"] + expected["late"] + expected["overdue"]
        if decided:
            assert values[8] == pytest.approx(round(100 * expected["on_time"] / decided, 1) / 100)
            assert sheet.cell(row_index, 9).number_format == "0.0%"
        assert values[12:14] == list(expected_rating(mine))

    total = [cell.value for cell in sheet[11]]
    assert total[1] == "Всего"
    assert total[5] == len(specs)

    # The chart stacks the four outcomes per process from the block its series point at.
    for process, index in zip([*range(1, 9), None], range(9)):
        expected = expected_figures([spec for spec in specs if spec.process == process])
        values = [cell_at(sheet, item.val.numRef.f, row_offset=index).value for item in series]
        assert values == [expected["on_time"], expected["late"], expected["open"] - expected["overdue"],
                          expected["overdue"]], process
    assert sum(cell_at(sheet, series[3].val.numRef.f, row_offset=index).value for index in range(9)) == (
        expected_figures(specs)["overdue"])

    assignees = workbook["По исполнителям"]
    labels = [row[0] for row in assignees.iter_rows(min_row=2, values_only=True)]
    assert labels == [*sorted(a for a in ASSIGNEES if a), "не назначен", "Всего", None,
                      "Доля в срок — от обращений с ответом и просроченных без ответа."]


def cell_at(sheet: Any, reference: str, *, row_offset: int = 0) -> Any:
    """Return the first cell of a chart reference such as 'По процессам'!$B$15:$B$23, moved down by `row_offset`."""
    first = reference.split("!")[1].split(":")[0].replace("$", "")
    cell = sheet[first]
    return sheet.cell(cell.row + row_offset, cell.column)


def test_ticket_html_and_csv(ticket_report: tuple[TicketReport, list[Spec]], tmp_path: Path) -> None:
    report, specs = ticket_report
    expected = expected_figures(specs)

    page = render_ticket_html(report)
    assert page.count("<svg") == 2
    assert "<?xml" not in page
    assert "Обращения по процессам" in page
    assert Process.SIGNATURE_CERTIFICATES.title_ru in page
    assert f'<td class="number">{expected["received"]}</td>' in page
    for category in ("В срок", "С опозданием", "Без ответа, срок не истёк", "Просрочено"):
        # Each chart's legend names the category, as SVG text.
        assert page.count(f">{category}</text>") == 2, category
    assert page.count("Доля в срок — от обращений с ответом и просроченных без ответа.") == 1
    assert "За период обращений нет" not in page

    paths = write_ticket_csv(report, tmp_path / "csv")
    assert sorted(path.name for path in paths) == ["by-assignee.csv", "by-channel.csv", "by-process.csv",
                                                  "summary.csv"]
    raw = (tmp_path / "csv" / "by-process.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with (tmp_path / "csv" / "by-process.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][:2] == ["Код", "Процесс"]
    assert len(rows) == 1 + 9 + 1
    for row, process in zip(rows[1:10], [*range(1, 9), None]):
        mine = [spec for spec in specs if spec.process == process]
        figures = expected_figures(mine)
        assert int(row[5]) == figures["received"]
        assert int(row[6]) == figures["on_time"]
        assert int(row[10]) == figures["overdue"]
        median = figures["median_days"]
        assert row[11] == ("" if median is None else f"{median:.1f}".replace(".", ","))
    assert rows[10][1] == "Всего"
    assert int(rows[10][5]) == len(specs)


# Survey: the seed and the expected figures.

def random_answers(generator: random.Random, *, complete: bool) -> dict[str, Any]:
    """One filled-in form; with `complete` False some questions are left out, as imported years may have."""
    q3 = {row.key: generator.choice([option.key for option in form.Q3_OPTIONS]) for row in form.Q3_ROWS}
    answers: dict[str, Any] = {
        "q1": generator.choice([option.key for option in form.Q1_OPTIONS]),
        "q2": {row.key: _q2_cell(generator) for row in form.Q2_ROWS},
        "q3": q3,
        "q4": {
            key: ({"text": "", "unsure": True} if generator.random() < 0.3
                  else {"text": generator.choice([f"Не работает {key}", HOSTILE_TEXT, "  "]), "unsure": False})
            for key, value in q3.items() if value in form.Q3_NEGATIVE
        },
        "q5": generator.choice(["", "Больше обучения", HOSTILE_TEXT]),
    }
    if not complete and generator.random() < 0.3:
        del answers["q1"]
    if not complete and generator.random() < 0.3:
        answers["q3"] = {key: value for key, value in q3.items() if generator.random() < 0.7}
    return answers


def _q2_cell(generator: random.Random) -> dict[str, Any]:
    if generator.random() < 0.3:
        # An imported form may keep a text beside «Не занимаюсь этим»; the report ignores it.
        return {"text": generator.choice(["", "Старая запись"]), "not_engaged": True}
    return {"text": generator.choice(["", "Медленный интернет", HOSTILE_TEXT]), "not_engaged": False}


def seed_survey(session_factory: sessionmaker[Session]) -> dict[int, list[dict[str, Any]]]:
    generator = random.Random(2026)
    answers = {
        2025: [random_answers(generator, complete=False) for _ in range(37)],
        2026: [random_answers(generator, complete=True) for _ in range(53)],
    }
    with session_factory.begin() as session:
        imported = SurveyCampaign(year=2025, origin="import", started_at=datetime.datetime(2025, 11, 1, tzinfo=MSK))
        current = SurveyCampaign(year=2026, origin="campaign", started_at=datetime.datetime(2026, 11, 1, tzinfo=MSK))
        empty = SurveyCampaign(year=2024, origin="import", started_at=datetime.datetime(2024, 11, 1, tzinfo=MSK))
        session.add_all([imported, current, empty])
        session.flush()
        for campaign, items in ((imported, answers[2025]), (current, answers[2026])):
            for item in items:
                session.add(SurveyResponse(campaign_id=campaign.id, submitted_on=datetime.date(campaign.year, 11, 20),
                                           answers=item))
        for index in range(80):
            session.add(SurveyInvitation(
                campaign_id=current.id, address=f"user{index}@committee.example", secret_sha256=f"{index:064x}",
                answered=index < 53,
            ))
    return answers


def exact_percent(count: int, total: int) -> float:
    return 100 * count / total


def expected_index(items: list[dict[str, Any]], row: str) -> float | None:
    scores = {"fully_satisfied": 3, "rather_satisfied": 2, "rather_dissatisfied": 1, "fully_dissatisfied": 0}
    values = [scores[item["q3"][row]] for item in items if item["q3"].get(row) in scores]
    return sum(values) / len(values) / 3 * 100 if values else None


@pytest.fixture
def survey(session_factory: sessionmaker[Session]) -> tuple[SurveyReport, dict[int, list[dict[str, Any]]]]:
    answers = seed_survey(session_factory)
    with session_factory() as session:
        report = build_survey_report(session, 2026, 2025)
    return report, answers


def test_survey_figures_match_counts(survey: tuple[SurveyReport, dict[int, list[dict[str, Any]]]]) -> None:
    report, answers = survey
    assert report.compared is not None
    for results, items in ((report.current, answers[2026]), (report.compared, answers[2025])):
        total = len(items)
        assert results.responses == total
        for option in form.Q1_OPTIONS:
            count = sum(item.get("q1") == option.key for item in items)
            assert results.q1_option(option.key).count == count
            assert results.q1_option(option.key).percent == round(exact_percent(count, total), 1)
        assert results.q1_option(None).count == sum("q1" not in item for item in items)

        for row in form.Q2_ROWS:
            cells = [item["q2"][row.key] for item in items]
            texts = [c["text"].strip() for c in cells if not c["not_engaged"] and c["text"].strip()]
            q2 = results.q2_row(row.key)
            assert q2.not_engaged.percent == round(exact_percent(sum(c["not_engaged"] for c in cells), total), 1)
            assert q2.with_problem.percent == round(exact_percent(len(texts), total), 1)
            assert list(q2.texts) == texts

        for row in form.Q3_ROWS:
            q3 = results.q3_row(row.key)
            for option in form.Q3_OPTIONS:
                count = sum(item["q3"].get(row.key) == option.key for item in items)
                assert q3.option(option.key).count == count
                assert q3.option(option.key).percent == round(exact_percent(count, total), 1)
            assert q3.option(None).count == sum(row.key not in item["q3"] for item in items)
            index = expected_index(items, row.key)
            assert q3.index == (round(index, 1) if index is not None else None)

        for row, q4 in zip(form.Q3_ROWS, results.q4):
            cells = [item["q4"][row.key] for item in items if row.key in item["q4"]]
            assert list(q4.texts) == [c["text"].strip() for c in cells if c["text"].strip()]
            assert q4.unsure == sum(c["unsure"] for c in cells)
        assert list(results.q5) == [item["q5"] for item in items if item["q5"]]

    # The imported year lacks some answers, so «нет ответа» must be exercised there.
    assert report.compared.q1_option(None).count > 0
    assert report.current.invitations == 80
    assert report.current.answered_invitations == 53
    assert report.current.answer_rate == round(100 * 53 / 80, 1)
    assert report.compared.invitations is None


def test_survey_changes_against_year(survey: tuple[SurveyReport, dict[int, list[dict[str, Any]]]]) -> None:
    report, answers = survey
    now, then = answers[2026], answers[2025]
    for option in form.Q1_OPTIONS:
        share_now = exact_percent(sum(item.get("q1") == option.key for item in now), len(now))
        share_then = exact_percent(sum(item.get("q1") == option.key for item in then), len(then))
        assert report.q1_change(option.key) == round(share_now - share_then, 1)
    for row in form.Q3_ROWS:
        index_now, index_then = expected_index(now, row.key), expected_index(then, row.key)
        assert index_now is not None and index_then is not None
        assert report.q3_index_change(row.key) == round(index_now - index_then, 1)
        for option in form.Q3_OPTIONS:
            share_now = exact_percent(sum(item["q3"].get(row.key) == option.key for item in now), len(now))
            share_then = exact_percent(sum(item["q3"].get(row.key) == option.key for item in then), len(then))
            assert report.q3_change(row.key, option.key) == round(share_now - share_then, 1)


def test_survey_year_without_answers(session_factory: sessionmaker[Session]) -> None:
    seed_survey(session_factory)
    with session_factory() as session:
        report = build_survey_report(session, 2024, 2026)
        with pytest.raises(CampaignNotFound, match="2023"):
            build_survey_report(session, 2023)

    assert report.current.responses == 0
    assert all(option.percent is None for option in report.current.q1)
    assert all(row.index is None for row in report.current.q3)
    assert report.q3_index_change("hardware") is None
    assert report.q1_change("rather_satisfied") is None


def test_survey_xlsx_reopens(survey: tuple[SurveyReport, dict[int, list[dict[str, Any]]]], tmp_path: Path) -> None:
    report, answers = survey
    path = tmp_path / "survey.xlsx"
    write_survey_xlsx(report, path)
    workbook = openpyxl.load_workbook(path)

    assert workbook.sheetnames == [
        "Сводка", "Вопрос 1", "Вопрос 2", "Вопрос 3", "Вопрос 3, изменение к 2025", "Вопрос 3, число ответов",
        "Вопрос 2, проблемы", "Вопрос 4", "Вопрос 4, ответы", "Вопрос 5",
    ]
    q1 = workbook["Вопрос 1"]
    assert [cell.value for cell in q1[1]] == ["Вариант ответа", "Ответов 2026", "Доля 2026, %", "Ответов 2025",
                                              "Доля 2025, %", "Изменение, п. п."]
    assert len(q1._charts) == 1
    for row_index, option in enumerate(form.Q1_OPTIONS, start=2):
        count = sum(item.get("q1") == option.key for item in answers[2026])
        assert q1.cell(row_index, 1).value == option.label
        assert q1.cell(row_index, 2).value == count
        assert q1.cell(row_index, 3).value == pytest.approx(round(exact_percent(count, 53), 1) / 100)
        assert q1.cell(row_index, 3).number_format == "0.0%"

    q3 = workbook["Вопрос 3"]
    headers = [cell.value for cell in q3[1]]
    assert headers[-3:] == ["Индекс 2026", "Индекс 2025", "Изменение индекса"]
    assert len(q3._charts) == 1
    assert len(q3._charts[0].series) == 2
    for row_index, row in enumerate(form.Q3_ROWS, start=2):
        assert q3.cell(row_index, 1).value == row.label
        index = expected_index(answers[2026], row.key)
        assert index is not None
        assert q3.cell(row_index, len(headers) - 2).value == round(index, 1)

    texts = workbook["Вопрос 5"]
    assert [cell.value for cell in texts[1]] == ["№", "Ответ", "Ответов"]
    rows = [row for row in texts.iter_rows(min_row=2, values_only=True) if isinstance(row[0], int)]
    submitted = [item["q5"] for item in answers[2026] if item["q5"]]
    # Every distinct text once, with how often it was submitted, the most frequent first.
    assert sorted((text, count) for _, text, count in rows) == sorted(
        (text, submitted.count(text)) for text in set(submitted))
    assert [count for _, _, count in rows] == sorted((count for _, _, count in rows), reverse=True)
    assert len(set(submitted)) < len(submitted)


def test_survey_html_and_csv(survey: tuple[SurveyReport, dict[int, list[dict[str, Any]]]], tmp_path: Path) -> None:
    report, answers = survey
    page = render_survey_html(report)
    assert page.count("<svg") == 3
    assert "<script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; «кавычки»" in page
    for row in form.Q3_ROWS:
        assert row.label in page
    positions = [page.index(f"<h2>Вопрос {number}.") for number in range(1, 6)]
    assert positions == sorted(positions)
    assert page.count("Доли в вопросах 1–3 — от всех анкет года") == 1
    index = expected_index(answers[2026], "hardware")
    assert index is not None
    assert f'<td class="number">{round(index, 1):.1f}</td>'.replace(".", ",") in page

    write_survey_csv(report, tmp_path / "csv")
    with (tmp_path / "csv" / "q3.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0][0] == "Строка"
    assert rows[0][1] == "Полностью удовлетворен, %"
    for row, cells in zip(form.Q3_ROWS, rows[1:]):
        count = sum(item["q3"].get(row.key) == "fully_satisfied" for item in answers[2026])
        assert cells[0] == row.label
        assert float(cells[1].replace(",", ".")) == round(exact_percent(count, 53), 1)


def test_report_commands(session_factory: sessionmaker[Session], database_url: str, tmp_path: Path,
                         capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    seed_survey(session_factory)
    env_file = tmp_path / "service.env"
    env_file.write_text(f"MAILBOT_DATABASE_URL={database_url}\nMAILBOT_ADDRESS=it@committee.example\n",
                        encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    code = main(["--env-file", str(env_file), "report", "tickets", "--from", "01.11.2026", "--to", "2026-11-30"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Обращения с 01.11.2026 по 30.11.2026: 0 обращений." in out
    assert (tmp_path / "otchet-obrashcheniya-2026-11.xlsx").is_file()

    code = main(["--env-file", str(env_file), "report", "survey", "--year", "2026", "--compare", "2025",
                 "--format", "html"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "Анкетирование 2026 г.: 53 анкеты (приглашено 80" in out
    assert (tmp_path / "otchet-anketa-2026-vs-2025.html").read_text(encoding="utf-8").count("<svg") == 3

    code = main(["--env-file", str(env_file), "report", "survey", "--year", "2030"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "опроса за 2030 год в базе нет" in err
    assert "mailbot survey start --year 2030" in err
    assert "mailbot survey import --year 2030" in err

    # A past year can no longer be surveyed, only imported.
    code = main(["--env-file", str(env_file), "report", "survey", "--year", "2019"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "mailbot survey import --year 2019 ФАЙЛ.csv" in err
    assert "survey start" not in err

    code = main(["--env-file", str(env_file), "report", "tickets", "--from", "31.02.2026"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Дата «31.02.2026» не существует." in err


@pytest.fixture
def env_file(session_factory: sessionmaker[Session], database_url: str, tmp_path: Path,
             monkeypatch: pytest.MonkeyPatch) -> Path:
    """A settings file for the migrated database, with the working folder set to `tmp_path`."""
    path = tmp_path / "service.env"
    path.write_text(f"MAILBOT_DATABASE_URL={database_url}\nMAILBOT_ADDRESS=it@committee.example\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return path


def run_report(env_file: Path, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["--env-file", str(env_file), "report", *args])
    return code, capsys.readouterr().err


def assert_one_line(err: str) -> None:
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


def test_report_output_missing_folder(env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "nonexistent" / "dir" / "r.xlsx"
    code, err = run_report(env_file, capsys, "tickets", "--output", str(target))
    assert code == 2
    assert_one_line(err)
    assert f"«{target.parent}»" in err
    assert "не существует" in err
    assert not (tmp_path / "nonexistent").exists()


def test_report_csv_onto_file(env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "dec.html"
    target.write_text("an earlier report", encoding="utf-8")
    code, err = run_report(env_file, capsys, "tickets", "--format", "csv", "--output", str(target))
    assert code == 2
    assert_one_line(err)
    assert f"«{target}» — это файл" in err
    assert "папку" in err
    assert target.read_text(encoding="utf-8") == "an earlier report"


def test_report_html_onto_folder(env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "dec-csv"
    target.mkdir()
    code, err = run_report(env_file, capsys, "survey", "--year", "2026", "--format", "html", "--output", str(target))
    assert code == 2
    assert_one_line(err)
    assert f"«{target}» — это папка" in err
    assert "имя файла" in err
    assert list(target.iterdir()) == []


def test_report_unknown_extension(env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_report(env_file, capsys, "tickets", "--output", "x.txt")
    assert code == 2
    assert_one_line(err)
    assert "«x.txt»" in err
    assert ".xlsx" in err
    assert ".html" in err
    assert "--format csv" in err
    assert not (tmp_path / "x.txt").exists()

    # Given explicitly, the format keeps the name as written.
    code, err = run_report(env_file, capsys, "tickets", "--format", "xlsx", "--output", "x.txt")
    assert code == 0, err
    with (tmp_path / "x.txt").open("rb") as handle:
        assert openpyxl.load_workbook(handle).sheetnames[0] == "Сводка"
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".tmp")]


def test_report_csv_folder_written(env_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_report(env_file, capsys, "tickets", "--format", "csv", "--output", "dec")
    assert code == 0, err
    assert sorted(path.name for path in (tmp_path / "dec").iterdir()) == [
        "by-assignee.csv", "by-channel.csv", "by-process.csv", "summary.csv"]
    assert not [path for path in tmp_path.iterdir() if path.name.endswith(".tmp")]


def test_ticket_empty_period(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    with session_factory() as session:
        report = build_ticket_report(session, FIRST_DAY, LAST_DAY, now=NOW, tz=MSK)
    assert report.total.received == 0

    page = render_ticket_html(report)
    assert "<svg" not in page
    assert page.count("За период обращений нет") == 2

    path = tmp_path / "empty.xlsx"
    write_ticket_xlsx(report, path)
    workbook = openpyxl.load_workbook(path)
    assert all(len(sheet._charts) == 0 for sheet in workbook.worksheets)


def test_survey_html_groups_texts(session_factory: sessionmaker[Session]) -> None:
    texts = ["Нет доступа к базе ответов", " нет  доступа к базе ОТВЕТОВ", "Нет доступа к базе ответов",
             "Долго чинят", ""]
    with session_factory.begin() as session:
        campaign = SurveyCampaign(year=2026, origin="import", started_at=datetime.datetime(2026, 11, 1, tzinfo=MSK))
        session.add(campaign)
        session.flush()
        for text in texts:
            answers = {"q2": {"consulting": {"text": text, "not_engaged": False}}, "q5": text}
            session.add(SurveyResponse(campaign_id=campaign.id, submitted_on=datetime.date(2026, 11, 20),
                                       answers=answers))
    with session_factory() as session:
        report = build_survey_report(session, 2026)

    page = render_survey_html(report)
    # Q2 row and Q5 each list the repeated text once, with its count.
    assert page.count("<li>Нет доступа к базе ответов <span class=\"count\">(3)</span></li>") == 2
    assert page.count("доступа к базе") == 2
    assert page.count("<li>Долго чинят</li>") == 2
    assert list(report.current.q5) == [text.strip() for text in texts if text.strip()]
