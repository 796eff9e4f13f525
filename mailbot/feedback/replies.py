"""Reading a requester's rating (1-5) from the new text of a reply.

The mails that finish a ticket ask for a rating as one digit in a reply. A
reply reads as a rating only when its first line, after a greeting line or
a line of thanks alone, starts with the rating. The rating is a digit 1-5, a number word («пять»,
«пятёрка») or a row of stars, and a rating word («оценка», «ставлю») or a
praise word («Отлично, 5») may precede it. After the number may come
nothing, punctuation, «из 5», «/5», «баллов» or a thanks word. A number
followed by a noun («5 компьютеров») or by other digits (dates, times,
phones), or inside a numbered list, is no rating. The rest of the first
line and the lines below it, without the closing signature, are the comment.

False ratings are worse than missed ones, because a false rating swallows
a real complaint. So a comment reporting that the problem is not solved,
or requesting something new, marks the rating `unresolved`. A rating of 1-2 with such
a comment is still a rating, and the caller handles the reply as an
ordinary one too, which reopens the ticket. A rating of 3-5 with such a
comment contradicts itself, so `read_rating` returns None and the reply is
an ordinary one.
"""

from __future__ import annotations

import dataclasses
import re

MAX_COMMENT_CHARS = 500
LOW_RATINGS = (1, 2)

_SEPARATORS = " \t,.;:!—–-"
# Stripped from the end of a praise before the number, which keeps its «!» or «.».
_LEAD_SEPARATORS = " \t,;:—–-"

_GREETING = (
    r"(?:здравствуйте|добрый\s+(?:день|вечер)|доброе\s+утро|доброго\s+времени\s+суток|привет"
    r"|(?:уважаемые\s+)?коллеги)"
)
_GREETING_LINE = re.compile(rf"^\s*{_GREETING}[\s,.!]*$", re.IGNORECASE)
_PRAISE = (
    r"(?:спасибо(?:\s+большое|\s+огромное)?|благодарю|отлично|хорошо|супер|замечательно|прекрасно"
    r"|нормально|плохо|ужасно|все\s+(?:отлично|хорошо|супер|работает))"
)
_PRAISE_LINE = re.compile(rf"^\s*{_PRAISE}[\s,.!)]*$", re.IGNORECASE)
_RATING_WORD = (
    r"(?:(?:моя\s+|ваша\s+)?оценка|оцениваю(?:\s+на)?|оценю\s+на|ставлю|поставлю|ставим|поставим)"
)
_NUMBER_WORDS = {
    1: r"один|единиц[аыу]|единичк[аиу]",
    2: r"два|двойк[аиу]|двоечк[аиу]",
    3: r"три|тройк[аиу]|троечк[аиу]",
    4: r"четыре|четверк[аиу]|четверочк[аиу]",
    5: r"пять|пятерк[аиу]|пятерочк[аиу]",
}
_NUMBER = r"[1-5](?!\d)|" + "|".join(rf"(?P<word{value}>{words})(?!\w)" for value, words in _NUMBER_WORDS.items())
_HEAD = re.compile(
    rf"^\s*(?:{_GREETING}[\s,.!]+)?"
    rf"(?P<lead>{_PRAISE}[\s,.!;:—–-]+)?"
    rf"(?:{_RATING_WORD}\s*[:—–-]?\s*)?"
    rf"(?P<number>{_NUMBER})"
    r"\+{0,3}"
    r"(?:\s*(?:из|/)\s*(?:5|пяти)(?![\d\w]))?"
    r"(?:\s*(?:балл(?:а|ов)?|звезд\w{0,2})(?!\w))?"
    r"(?P<rest>.*)$",
    re.IGNORECASE,
)
# Text allowed after the number: nothing, punctuation, or a space and a
# thanks word or «за» («5 за скорость»).
_REST_ALLOWED = re.compile(
    r"^(?:\s*$|\s*[.,!;:()—–-]|\s+[^\w\s]|\s+(?:спасибо|благодарю|отлично|хорошо|супер|все|за)\b)",
    re.IGNORECASE,
)
# Other digits right after the number (a date, a time, a decimal, a phone
# number, a range) or an ordinal ending («3-й этаж», «2-х мониторов»).
_REST_REJECTED = re.compile(r"^\s*[^\w\s]{0,2}\s*\d|^[-–]\w")
_STARS_LINE = re.compile(r"^\s*[★⭐☆\s]+$")
_NUMBERED_ITEM = re.compile(r"^\s*\d{1,2}\s*[.)]\s*\S")
_SIGNATURE_START = re.compile(
    r"^\s*(?:(?:с\s+уважением|с\s+наилучшими\s+пожеланиями|всего\s+(?:доброго|хорошего)|best\s+regards|regards)\b"
    r"|--\s*$)",
    re.IGNORECASE,
)
# A last line with a surname and initials: «Иванова М. В.» or «М. В. Иванова».
_NAME_LINE = re.compile(r"^\s*(?:[А-Я][а-я]+\s+[А-Я]\.\s*[А-Я]\.?|[А-Я]\.\s*[А-Я]\.\s*[А-Я][а-я]+)\s*$")

# Phrases that sound negative word by word but close a request.
_BENIGN = re.compile(
    r"(?:больше\s+)?ничего\s+(?:больше\s+)?не\s+(?:нужно|надо|требуется)|не\s+нужно"
    r"|вопрос\w*\s+(?:решен|закрыт|снят)\w*|(?:без|нет|никаких)\s+проблем\w*|не\s+за\s+что",
    re.IGNORECASE,
)
# Signs that the problem is not solved, or that the reply requests something new.
# NOTE: a word list, so a complaint worded otherwise after a rating of 3-5 is
# stored as a rating and reopens nothing.
_UNRESOLVED = re.compile(
    r"\?"
    r"|\bне\s+(?:\w+\s+)?(?:работа|печата|включа|включил|открыва|открыл|запуска|запустил|загружа|загрузил"
    r"|получа|получил|помог|реш|исправ|устран|сканиру|отправля|отправил|приход|пришл|видит|подключ"
    r"|грузит|заработал|заход|входит|вош|зашл|удалось|выполн|сделал|сделан|настро|отвеча|могу)"
    r"|\bничего\s+не\b"
    r"|\b(?:опять|снова|по-прежнему|по\s+прежнему|до\s+сих\s+пор|все\s+так\s+же|остал[аио]сь|остался"
    r"|сломал\w*|слома\w*|зависа\w*|завис(?:ла|ло|ли)?)\b"
    r"|проблем|\bкроме\b|\bоднако\b"
    r"|(?:выда\w*|пишет|показывает|появля\w*|появил\w*|та\s+же|такая\s+же)\s+(?:\w+\s+)?ошибк"
    r"|\b(?:прошу|просьба|помогите|подскажите|нужн\w*|надо|необходим\w*|верните|переоткройте|откройте)\b"
    r"|\b(?:еще|есть|другой|новый|один|одна|два|две|три|\d+)\s+вопрос",
    re.IGNORECASE,
)


@dataclasses.dataclass(frozen=True)
class Rating:
    """A rating read from a reply, with the requester's comment.

    `unresolved` is set when the comment reports that the problem is not
    solved. Only ratings of 1-2 carry it, because higher ones are not read at all then.
    """

    rating: int
    comment: str
    unresolved: bool = False


def read_rating(text: str) -> Rating | None:
    """Return the rating that the new text of a reply gives, or None when it gives none."""
    lines = _without_signature(text.splitlines())
    lines = _without_greeting(lines)
    praise, lines = _split_praise_line(lines)
    if not lines:
        return None

    head = _read_head(lines[0])
    if head is None:
        return None
    rating, first_comment = head
    if praise:
        first_comment = " ".join(part for part in (praise, first_comment) if part)

    following = lines[1:]
    if any(_NUMBERED_ITEM.match(line) for line in following):
        return None
    comment = "\n".join([first_comment, *following]).strip()
    if len(comment) > MAX_COMMENT_CHARS:
        return None

    unresolved = bool(_UNRESOLVED.search(_BENIGN.sub(" ", _fold(comment))))
    if unresolved and rating not in LOW_RATINGS:
        return None
    return Rating(rating, comment, unresolved)


def _read_head(line: str) -> tuple[int, str] | None:
    """Return the rating on the first line and the rest of that line, or None."""
    if _STARS_LINE.match(line):
        stars = sum(line.count(star) for star in "★⭐")
        return (stars, "") if 1 <= stars <= 5 else None

    # Folding keeps every character's position, so spans of the folded line
    # cut the original line, and the comment keeps its «ё».
    match = _HEAD.match(_fold(line))
    if match is None:
        return None
    rest = match.group("rest")
    if not _REST_ALLOWED.match(rest) or _REST_REJECTED.match(rest):
        return None

    lead = line[match.start("lead"):match.end("lead")] if match.group("lead") else ""
    rest = line[match.start("rest"):]
    comment = " ".join(part for part in (lead.strip(_LEAD_SEPARATORS), rest.lstrip(_SEPARATORS).rstrip()) if part)
    return _number_value(match), comment


def _number_value(match: re.Match[str]) -> int:
    for value in _NUMBER_WORDS:
        if match.group(f"word{value}"):
            return value
    return int(match.group("number"))


def _without_signature(lines: list[str]) -> list[str]:
    """Drop the closing signature: from «С уважением» down, and a last name line."""
    for index, line in enumerate(lines):
        if _SIGNATURE_START.match(_fold(line)):
            lines = lines[:index]
            break
    lines = _strip_blank_edges(lines)
    if len(lines) > 1 and _NAME_LINE.match(_fold(lines[-1])):
        lines = _strip_blank_edges(lines[:-1])
    return lines


def _split_praise_line(lines: list[str]) -> tuple[str, list[str]]:
    """Split off a first line of thanks alone («Спасибо!» above «5»), which belongs to the comment."""
    if len(lines) > 1 and _PRAISE_LINE.match(_fold(lines[0])):
        return lines[0].strip(_LEAD_SEPARATORS), _strip_blank_edges(lines[1:])
    return "", lines


def _without_greeting(lines: list[str]) -> list[str]:
    if lines and _GREETING_LINE.match(_fold(lines[0])):
        return _strip_blank_edges(lines[1:])
    return lines


def _fold(text: str) -> str:
    """Spell «ё» as «е», as most people type it, so that patterns need only one spelling."""
    return text.replace("ё", "е").replace("Ё", "Е")


def _strip_blank_edges(lines: list[str]) -> list[str]:
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = len(lines)
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]
