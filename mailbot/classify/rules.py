"""Strong rules for unmistakable signals, applied on top of the model.

Each rule looks at the raw subject and reply text and, when it fires, names
a label and a reason in Russian for the people who read the ticket. The
first rule that fires wins. Rules cover only signals that the corpus shows
are almost never wrong: automatic replies and delivery notices,
thanks-only replies, and electronic-signature certificates.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from mailbot.classify.corpus import NOT_A_REQUEST

SIGNATURE_LABEL = "6"

REASONS_RU: dict[str, str] = {
    "auto_reply_subject": "правило: тема автоответа или уведомления о доставке",
    "out_of_office": "правило: текст автоответа об отсутствии",
    "mailbox_notice": "правило: автоматическое уведомление почтовой системы",
    "thanks_only": "правило: только благодарность, без нового вопроса",
    "signature_certificate": "правило: сертификат электронной подписи, Рутокен или КриптоПро",
}

_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*(?:автоответ|автоматический ответ|automatic reply|auto[- ]?reply|autoreply"
    r"|out of (?:the )?office|undeliverable|undelivered|не доставлено|недоставлено"
    r"|delivery status notification|mail delivery failed|returned mail"
    r"|прочитано|read|доставлено|delivered|отсутствую)\b(?P<colon>\s*:)?",
    re.IGNORECASE,
)
_OUT_OF_OFFICE = re.compile(
    r"(?:нахожусь|я)\s+(?:в\s+)?(?:ежегодном\s+)?(?:оплачиваемом\s+)?"
    r"(?:отпуске|командировке|служебной командировке|на больничном)"
    r"|out of (?:the )?office|вне офиса до|вернусь\s+\d|по возвращении",
    re.IGNORECASE,
)
_MAILBOX_NOTICE = re.compile(
    r"(?:почтов\w+ ящик\w*.{0,40}(?:заполнен|переполнен))"
    r"|(?:сообщение (?:создано|сформировано) автоматически)"
    r"|(?:не удалось доставить сообщение)",
    re.IGNORECASE | re.DOTALL,
)
_THANKS = re.compile(r"(?<!заранее )(?<!зарание )(?:спасибо|благодар|thank)", re.IGNORECASE)
_QUESTION = re.compile(r"\?|\bкак\s|подскаж|прош", re.IGNORECASE)
_CERTIFICATE = re.compile(
    r"рутокен|rutoken|крипто\s*-?\s*про|cryptopro|\bмчд\b|машиночитаем\w*\s+доверенност"
    r"|сертификат\w*\s+(?:ключа\s+)?(?:проверки\s+ключа\s+)?"
    r"(?:эп|эцп|квэп|электронн\w+\s+подпис)",
    re.IGNORECASE,
)
# Words that show a new request, a question or a problem inside a short note.
_REQUEST_WORDS = re.compile(
    r"\?|\bне\b|\bнет\b|прош|помоги|помочь|нужн|необходим|можно|ещ[её]|опять|снова|\bно\b"
    r"|однако|срочно|подскаж|сообщите|please|нельзя|ошибк|проблем",
    re.IGNORECASE,
)
# Signals that a certificate is only part of a newcomer setup or of a data
# request, which are processes 7, 3 and 8.
_CERTIFICATE_EXCEPTIONS = re.compile(
    r"нов\w*\s+(?:сотрудни|специалист|начальник|работни|юрист|инспектор|консультант)"
    r"|принят\w*|выход\w*\s+на\s+работу|стаж[её]р|перечень|список|сведени|количеств"
    r"|отч[её]т|показател|график",
    re.IGNORECASE,
)
SHORT_NOTE_CHARS = 200
THANKS_OPENING_CHARS = 60


@dataclasses.dataclass(frozen=True)
class RuleMatch:
    """A rule that fired: its name, the label it sets and the reason in Russian."""

    name: str
    label: str
    reason: str


def match_rules(subject: str, body: str) -> RuleMatch | None:
    """Return the first rule that fires on the message, or None."""
    text = f"{subject}\n{body}".replace("ё", "е").replace("Ё", "Е")
    for name, label, predicate in _RULES:
        if predicate(subject, body, text):
            return RuleMatch(name=name, label=label, reason=REASONS_RU[name])
    return None


def _auto_reply_subject(subject: str, body: str, text: str) -> bool:
    # A bare "Автоответ" subject may also be a question about setting one up.
    match = _AUTO_REPLY_SUBJECT.match(subject)
    if match is None:
        return False
    return match.group("colon") is not None or not _QUESTION.search(body)


def _out_of_office(subject: str, body: str, text: str) -> bool:
    short = len(body.strip()) <= 2 * SHORT_NOTE_CHARS
    return short and bool(_OUT_OF_OFFICE.search(body)) and not _asks_something(body)


def _mailbox_notice(subject: str, body: str, text: str) -> bool:
    return bool(_MAILBOX_NOTICE.search(body)) and "автоматическ" in text.lower()


def _thanks_only(subject: str, body: str, text: str) -> bool:
    # Thanks must open the note: "Спасибо." after a problem report closes a request.
    note = body.strip()
    thanks = _THANKS.search(note)
    if thanks is None or len(note) > SHORT_NOTE_CHARS or thanks.start() > THANKS_OPENING_CHARS:
        return False
    return not _asks_something(note)


def _signature_certificate(subject: str, body: str, text: str) -> bool:
    return bool(_CERTIFICATE.search(text)) and not _CERTIFICATE_EXCEPTIONS.search(text)


def _asks_something(body: str) -> bool:
    return bool(_REQUEST_WORDS.search(body))


_RULES: tuple[tuple[str, str, Callable[[str, str, str], bool]], ...] = (
    ("auto_reply_subject", NOT_A_REQUEST, _auto_reply_subject),
    ("mailbox_notice", NOT_A_REQUEST, _mailbox_notice),
    ("out_of_office", NOT_A_REQUEST, _out_of_office),
    ("thanks_only", NOT_A_REQUEST, _thanks_only),
    ("signature_certificate", SIGNATURE_LABEL, _signature_certificate),
)
