"""When survey reminders fall due, and how a mail greets its reader."""

from __future__ import annotations

import datetime

import pytest

from mailbot.signing import secret_sha256
from mailbot.survey.mail import greeting_name
from mailbot.survey.reminders import due_step

INVITED = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)
DAYS = (7, 14)


def after(days: float) -> datetime.datetime:
    return INVITED + datetime.timedelta(days=days)


@pytest.mark.parametrize(
    ("elapsed", "handled", "expected"),
    [
        (6.9, 0, 0),  # not yet due
        (7, 0, 1),  # first reminder due
        (8, 1, 1),  # first already handled
        (14, 1, 2),  # second due
        (20, 0, 2),  # both passed while down: one reminder covers both
        (30, 2, 2),  # nothing left
    ],
)
def test_due_step(elapsed: float, handled: int, expected: int) -> None:
    assert due_step(INVITED, handled, DAYS, after(elapsed)) == expected


def test_due_step_never_goes_back() -> None:
    # The configured days shrank after two reminders were handled.
    assert due_step(INVITED, 2, (30,), after(15)) == 2


@pytest.mark.parametrize(
    ("full_name", "greeting"),
    [
        ("Иванова Мария Викторовна", "Мария Викторовна"),
        ("Петров  Пётр Ильич", "Пётр Ильич"),
        ("Мамедов Эльдар Гасан оглы", "Мамедов Эльдар Гасан оглы"),
        ("Иванова Мария", "Иванова Мария"),
        ("", ""),
    ],
)
def test_greeting_name(full_name: str, greeting: str) -> None:
    assert greeting_name(full_name) == greeting


def test_secret_sha256_is_sha256_hex() -> None:
    assert secret_sha256("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
