"""header_block: the header section of a raw message, cut at the first blank line."""

from __future__ import annotations

import pytest

from mailbot.retention import header_block


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"From: a@b\r\nSubject: x\r\n\r\nbody\r\n\r\nmore", b"From: a@b\r\nSubject: x\r\n\r\n"),
        (b"From: a@b\nSubject: x\n\nbody\r\n\r\nmore", b"From: a@b\nSubject: x\n\n"),
        (b"From: a@b\r\n\r\nbody\n\nmore", b"From: a@b\r\n\r\n"),
        (b"From: a@b\r\nSubject: no body", b"From: a@b\r\nSubject: no body"),
        (b"", b""),
    ],
)
def test_header_block_cases(raw: bytes, expected: bytes) -> None:
    assert header_block(raw) == expected
