"""Every quirk fixture under tests/data/mail parses to the result its JSON expects.

Each NAME.eml comes with NAME.json whose `expect` object lists the checked
keys; a key that is absent is not checked. Phrases are compared after
collapsing every whitespace run (including NBSP) to one space.
"""

from __future__ import annotations

import functools
import json
import pathlib
import re
from typing import Any

import pytest

from mailbot.parse import ParsedMessage, parse_message

DATA_DIR = pathlib.Path(__file__).resolve().parent.parent / "data" / "mail"
FIXTURES = sorted(DATA_DIR.glob("*.json"))
_WHITESPACE_RE = re.compile(r"[\s\u00a0]+")


def collapse(text: str) -> str:
    return _WHITESPACE_RE.sub(" ", text)


def load(spec_path: pathlib.Path) -> tuple[dict[str, Any], ParsedMessage]:
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    raw = spec_path.with_suffix(".eml").read_bytes()
    return spec["expect"], parse_message(raw)


def test_fixture_corpus_present() -> None:
    assert len(FIXTURES) >= 40
    for spec_path in FIXTURES:
        assert spec_path.with_suffix(".eml").is_file(), spec_path.name


def check_from_address(expected: str, message: ParsedMessage) -> None:
    assert message.from_address == expected.lower()


def check_subject(expected: str, message: ParsedMessage) -> None:
    assert message.subject == expected


def check_kind(expected: str, message: ParsedMessage) -> None:
    assert message.kind.value == expected


def check_body_contains(expected: list[str], message: ParsedMessage, *, human: bool) -> None:
    body = collapse(message.body_text)
    reply = collapse(message.reply_text)
    for phrase in expected:
        assert collapse(phrase) in body, phrase
        if human:
            # Human mail phrases come from the sender's new text, so quote
            # stripping must keep them.
            assert collapse(phrase) in reply, "lost by quote stripping: %s" % phrase


def check_reply_excludes(expected: list[str], message: ParsedMessage) -> None:
    body = collapse(message.body_text)
    reply = collapse(message.reply_text)
    for phrase in expected:
        assert collapse(phrase) in body, "phrase missing from the full text: %s" % phrase
        assert collapse(phrase) not in reply, phrase


def check_attachments(expected: list[dict[str, Any]], message: ParsedMessage) -> None:
    got = sorted((item.filename, item.content_type, item.size) for item in message.attachments)
    wanted = sorted((item["filename"], item["content_type"], item["size"]) for item in expected)
    assert got == wanted


def check_ticket_number(expected: str | None, message: ParsedMessage) -> None:
    assert message.ticket_number == expected


def expectation_cases() -> list[Any]:
    cases = []
    for spec_path in FIXTURES:
        expect = json.loads(spec_path.read_text(encoding="utf-8"))["expect"]
        for key in expect:
            cases.append(pytest.param(spec_path, key, id="%s-%s" % (spec_path.stem[:3], key)))
    return cases


@functools.lru_cache(maxsize=None)
def parsed(spec_path: pathlib.Path) -> tuple[dict[str, Any], ParsedMessage]:
    return load(spec_path)


@pytest.mark.parametrize(("spec_path", "key"), expectation_cases())
def test_fixture_expectation(spec_path: pathlib.Path, key: str) -> None:
    expect, message = parsed(spec_path)
    value = expect[key]
    if key == "body_contains":
        check_body_contains(value, message, human=expect.get("kind", "human") == "human")
        return
    checkers = {
        "from_address": check_from_address,
        "subject": check_subject,
        "kind": check_kind,
        "reply_excludes": check_reply_excludes,
        "attachments": check_attachments,
        "ticket_number": check_ticket_number,
    }
    assert key in checkers, "unknown expect key %s" % key
    checkers[key](value, message)


@pytest.mark.parametrize("spec_path", FIXTURES, ids=lambda path: path.stem[:3])
def test_fixture_json_output(spec_path: pathlib.Path) -> None:
    _expect, message = parsed(spec_path)
    document = json.loads(json.dumps(message.to_json(), ensure_ascii=False))
    assert document["subject"] == message.subject
    assert document["kind"] == message.kind.value
    assert isinstance(document["body_text"], str)
    assert isinstance(document["reply_text"], str)
