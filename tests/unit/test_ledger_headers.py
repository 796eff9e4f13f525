"""The ledger's Message-ID and body hash read only what they need, with unchanged results."""

from __future__ import annotations

import hashlib

from mailbot.intake.ledger import body_sha256, header_message_id

HEAD = b"From: a@committee.example\r\nMessage-ID: <head@committee.example>\r\nSubject: x"
BODY = b"Message-ID: <in-body@committee.example>\r\n\r\nline\r\n" * 1000


def test_message_id_comes_from_the_header_block_only() -> None:
    raw = HEAD + b"\r\n\r\n" + BODY
    assert header_message_id(raw) == "<head@committee.example>"
    assert header_message_id(b"Subject: x\r\n\r\nMessage-ID: <late@committee.example>\r\n") is None


def test_message_without_body_keeps_its_headers() -> None:
    assert header_message_id(HEAD) == "<head@committee.example>"
    assert header_message_id(HEAD.replace(b"\r\n", b"\n") + b"\n\nbody\n") == "<head@committee.example>"


def test_body_hash_covers_what_follows_the_first_empty_line() -> None:
    raw = HEAD + b"\r\n\r\n" + BODY
    assert body_sha256(raw) == hashlib.sha256(BODY).hexdigest()
    assert body_sha256(b"a: b\n\nbody\n") == hashlib.sha256(b"body\n").hexdigest()
    assert body_sha256(HEAD) == hashlib.sha256(HEAD).hexdigest()
