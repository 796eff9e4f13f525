"""Charset choice: declared labels are trusted only when the text reads as Russian."""

from __future__ import annotations

import pytest

from mailbot.parse.charsets import choose_charset, decode_bytes, normalize_charset, russian_score

TEXT = "Добрый день! Принтер в кабинете 305 не печатает, на панели горит красный индикатор."


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251", "koi8-r", "cp866"])
def test_correct_label_trusted(encoding: str) -> None:
    assert decode_bytes(TEXT.encode(encoding), encoding)[0] == TEXT


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251", "koi8-r", "cp866"])
def test_missing_label_detected(encoding: str) -> None:
    assert decode_bytes(TEXT.encode(encoding), None)[0] == TEXT


@pytest.mark.parametrize(
    ("sent", "declared"),
    [
        ("cp1251", "koi8-r"),
        ("koi8-r", "windows-1251"),
        ("cp1251", "utf-8"),
        ("cp866", "windows-1251"),
        ("cp1251", "us-ascii"),
        ("utf-8", "iso-8859-1"),
        ("koi8-r", "no-such-charset"),
    ],
)
def test_lying_label_overridden(sent: str, declared: str) -> None:
    assert decode_bytes(TEXT.encode(sent), declared)[0] == TEXT


def test_latin1_text_keeps_label() -> None:
    text = "Schöne Grüße aus Köln, café crème à la française"
    assert decode_bytes(text.encode("latin-1"), "iso-8859-1")[0] == text


def test_ascii_fast_path() -> None:
    assert choose_charset(b"plain ascii", None) == "ascii"


def test_short_word_keeps_declared_label() -> None:
    assert decode_bytes("Ёж".encode("cp1251"), "windows-1251")[0] == "Ёж"


def test_undecodable_bytes_replaced() -> None:
    text, _codec = decode_bytes(b"\xff\xfe\xfa" * 3, "utf-8")
    assert isinstance(text, str)


def test_score_prefers_right_decoding() -> None:
    data = TEXT.encode("cp1251")
    assert russian_score(data.decode("cp1251")) > russian_score(data.decode("koi8-r"))
    assert russian_score(data.decode("cp1251")) > russian_score(data.decode("cp866"))


@pytest.mark.parametrize(
    ("label", "codec"),
    [("windows-1251", "cp1251"), ("KOI8-R", "koi8-r"), ("utf8", "utf-8"), ("x-unknown", None), ("bogus", None)],
)
def test_normalize_charset(label: str, codec: str | None) -> None:
    assert normalize_charset(label) == codec
