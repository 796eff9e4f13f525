"""Normalisation, strong rules and the too-short heuristic."""

from __future__ import annotations

import pytest

from mailbot.classify import is_too_short
from mailbot.classify.normalize import fold_lookalikes, normalize_message, transliterate
from mailbot.classify.rules import match_rules


def test_lowercase_and_yo() -> None:
    text = normalize_message("", "ЁЛКА Учётная")
    assert text.lemmas == ("елка", "учетка")


def test_lookalike_letters_folded() -> None:
    # "пpинтеp" with Latin "p", and "Оutlook" with a Cyrillic "О".
    assert fold_lookalikes("пpинтеp") == "принтер"
    assert fold_lookalikes("оutlook") == "outlook"
    assert fold_lookalikes("outlook") == "outlook"


def test_masks_replace_contacts_and_numbers() -> None:
    text = normalize_message("", "пишите ivanov@committee.example, звоните 55-21-44 или +7 (812) 555-12-34, "
                                 "см. https://committee.example/docs, кабинет 214")
    assert "emailtok" in text.lemmas
    assert text.lemmas.count("phonetok") == 2
    assert "urltok" in text.lemmas
    assert "numtok" in text.lemmas
    assert "214" not in text.surface


def test_system_names_survive() -> None:
    text = normalize_message("", "1С и ЭЦП на Рутокен, форма 3-информ")
    assert "1с" in text.lemmas
    assert "эп" in text.lemmas
    assert "рутокен" in text.lemmas
    assert "информ" in text.lemmas


def test_english_terms_mapped() -> None:
    text = normalize_message("", "printer error, password expired")
    assert text.lemmas[:4] == ("принтер", "ошибка", "пароль", "истечь")


def test_transliteration_of_known_words() -> None:
    assert transliterate("pechataet") == "печатает"
    text = normalize_message("", "printer ne pechataet")
    assert text.lemmas == ("принтер", "не", "печатать")


@pytest.mark.parametrize(
    ("latin", "lemma"),
    [
        ("parol", "пароль"),
        ("kompyuter", "компьютер"),
        ("pozhaluysta", None),
        ("podpisyvaetsya", "подписываться"),
        ("ekrane", "экран"),
        ("prezentacia", "презентация"),
        ("uchetku", "учетка"),
    ],
)
def test_transliteration_variants(latin: str, lemma: str | None) -> None:
    text = normalize_message("", f"{latin} ploho")
    expected = ((lemma,) if lemma is not None else ()) + ("плохо",)
    assert text.lemmas == expected


def test_english_function_words_dropped() -> None:
    text = normalize_message("", "my printer is not working, paper jam in the tray")
    assert "мы" not in text.lemmas
    assert text.lemmas[:3] == ("принтер", "не", "working")
    assert "замятие" in text.lemmas


def test_subject_marked_and_prefix_stripped() -> None:
    text = normalize_message("Re: [IT-2026-00042] Монитор", "не включается")
    assert text.subject_lemmas == ("монитор",)
    assert text.is_reply
    assert text.has_ticket_tag
    assert text.lemmas[0] == "монитор"


@pytest.mark.parametrize(
    ("subject", "body", "label"),
    [
        ("Автоматический ответ: Заявка", "Я в отпуске до 5 мая.", "null"),
        ("Undeliverable: Отчёт", "Delivery has failed to these recipients.", "null"),
        ("Re: Монитор", "Спасибо, всё работает!", "null"),
        ("Подпись", "Истёк сертификат ЭП, нужен новый", "6"),
        ("", "КриптоПро не видит контейнер на токене", "6"),
    ],
)
def test_rule_fires(subject: str, body: str, label: str) -> None:
    match = match_rules(subject, body)
    assert match is not None
    assert match.label == label
    assert match.reason.startswith("правило:")


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        ("Автоответ", "Как настроить автоответ в Outlook на время отпуска?"),
        ("Re: Монитор", "Спасибо, но монитор опять не включается"),
        ("Принтер", "Принтер печатает полосами. Заранее спасибо!"),
        ("Новый сотрудник", "Новый сотрудник с понедельника, нужен компьютер и сертификат ЭП"),
    ],
)
def test_rule_stays_silent(subject: str, body: str) -> None:
    assert match_rules(subject, body) is None


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("", "не работает", True),
        ("Помогите", "срочно!!!", True),
        ("Re:", "см. вложение", True),
        ("", "принтер не печатает", False),
        ("Пароль", "забыла пароль", False),
    ],
)
def test_too_short(subject: str, body: str, expected: bool) -> None:
    assert is_too_short(subject, body) is expected
