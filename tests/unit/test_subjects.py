"""Subject normalisation for thread matching."""

from __future__ import annotations

import pytest

from mailbot.routing.subjects import normalize_subject, subjects_match


@pytest.mark.parametrize(
    "subject",
    [
        "Не печатает принтер",
        "Re: Не печатает принтер",
        "RE: [IT-2026-00042] Не печатает принтер",
        "Ответ: Не печатает принтер",
        "Отв: Re[2]: Не печатает принтер",
        "НА: НА: не печатает  принтер",
        "Пересл.: Fwd: Не печатает принтер",
        "FW: Re(3): [IT-2026-00042] Не печатает принтер",
        "AW: Не печатает принтер",
    ],
)
def test_prefixes_and_tags_never_matter(subject: str) -> None:
    assert normalize_subject(subject) == "не печатает принтер"


def test_different_topics_do_not_match() -> None:
    assert not subjects_match("Re: Не печатает принтер", "Fwd: Пароль от 1С")


def test_words_like_prefixes_inside_subject_stay() -> None:
    assert normalize_subject("На складе сломался сканер") == "на складе сломался сканер"
    assert normalize_subject("Отчет: итоги квартала") == "отчет: итоги квартала"
