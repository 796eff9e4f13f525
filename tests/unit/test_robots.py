"""Robots and loops are recognised and never answered."""

from __future__ import annotations

import dataclasses

import pytest

from mailbot.parse import Address, MessageKind, ParsedMessage
from mailbot.routing.robots import loop_reason, robot_reason

OUR_ADDRESS = "it@committee.example"


def make_message(**changes: object) -> ParsedMessage:
    message = ParsedMessage(
        message_id="<1@committee.example>",
        from_=Address("Иванова Мария", "ivanova@committee.example"),
        to=(Address("", OUR_ADDRESS),),
        cc=(),
        reply_to=(),
        subject="Не печатает принтер",
        date=None,
        in_reply_to=None,
        references=(),
        kind=MessageKind.HUMAN,
        ticket_number=None,
        body_text="Принтер в 305 кабинете не печатает.",
        reply_text="Принтер в 305 кабинете не печатает.",
        attachments=(),
        return_path="<ivanova@committee.example>",
    )
    return dataclasses.replace(message, **changes)  # type: ignore[arg-type]


def test_person_is_not_a_robot() -> None:
    assert robot_reason(make_message()) is None
    assert robot_reason(make_message(auto_submitted="no")) is None
    assert robot_reason(make_message(auto_submitted="No (manual)")) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"kind": MessageKind.AUTO_REPLY}, "auto_reply"),
        ({"kind": MessageKind.BOUNCE}, "bounce"),
        ({"kind": MessageKind.RECEIPT}, "receipt"),
        ({"auto_submitted": "auto-replied"}, "auto_submitted"),
        ({"auto_submitted": "auto-generated (1C)"}, "auto_submitted"),
        ({"precedence": "bulk"}, "precedence"),
        ({"precedence": "Junk"}, "precedence"),
        ({"precedence": "list"}, "precedence"),
        ({"precedence": "auto_reply"}, "precedence"),
        ({"return_path": ""}, "null_return_path"),
        ({"from_": Address("", "MAILER-DAEMON@mx.committee.example")}, "robot_sender"),
        ({"from_": Address("", "postmaster@committee.example")}, "robot_sender"),
        ({"from_": Address("Портал", "noreply@portal.committee.example")}, "robot_sender"),
        ({"from_": Address("", "no-reply@committee.example")}, "robot_sender"),
    ],
)
def test_robot_signals(changes: dict[str, object], reason: str) -> None:
    assert robot_reason(make_message(**changes)) == reason


def test_our_own_mail_is_a_loop() -> None:
    assert loop_reason(make_message(from_=Address("ИТ", OUR_ADDRESS)), OUR_ADDRESS) == "from_our_address"
    assert loop_reason(make_message(x_loop=("IT@committee.example",)), OUR_ADDRESS) == "x_loop"
    assert loop_reason(make_message(), OUR_ADDRESS) is None
