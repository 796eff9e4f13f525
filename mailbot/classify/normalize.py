"""Turn a subject and a reply text into the tokens the classifier reads.

The steps are: lower case and ё→е, masking of URLs, e-mail addresses, phone
numbers and numbers, folding of Latin/Cyrillic look-alike letters inside a
word, English terms and transliterated Russian mapped to Russian words, and
lemmas from pymorphy3. Subject tokens are also emitted with an ``s:`` prefix,
so a word in the subject weighs more than the same word in the body.
"""

from __future__ import annotations

import dataclasses
import functools
import re

import pymorphy3

from mailbot.classify import lexicon
from mailbot.classify.translit import candidates, transliterate

SUBJECT_PREFIX = "s:"
MASK_TOKENS = frozenset({"urltok", "emailtok", "phonetok", "numtok"})

_URL = re.compile(r"(?:https?://|www\.)\S+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_PHONE = re.compile(
    r"(?<!\w)(?:\+7|8)[\s(-]*\d{3,4}[\s)-]*\d{2,3}[\s-]*\d{2}[\s-]*\d{2}(?!\w)"
    r"|(?<![\w.-])\d{1,3}-\d{2}-\d{2}(?![\w.-])"
)
_NUMBER = re.compile(r"(?<!\w)\d+(?:[.,/:-]\d+)*(?!\w)")
_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"[a-zа-я0-9]+")
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|отв|пересл|ответ)\s*(?:\[\d+\])?\s*:\s*)+")
_TICKET_TAG = re.compile(r"\[(?:[a-zа-я]+-\d{4}-\d+|заявка\s*(?:№|n|no)?\s*\d+)\]")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")

# Parts of speech that carry no topic: prepositions, conjunctions, particles
# and interjections. Negation is kept because "не печатает" matters.
_DROPPED_POS = frozenset({"PREP", "CONJ", "PRCL", "INTJ"})
_KEPT_FUNCTION_WORDS = frozenset({"не", "нет"})

_morph = pymorphy3.MorphAnalyzer()


@dataclasses.dataclass(frozen=True)
class NormalizedText:
    """One message as token sequences.

    `lemmas` are the lemmas of the subject followed by those of the body,
    `subject_lemmas` those of the subject alone, and `surface` the masked,
    folded word forms before lemmatisation, for character n-grams.
    """

    lemmas: tuple[str, ...]
    subject_lemmas: tuple[str, ...]
    surface: str
    is_reply: bool
    has_ticket_tag: bool


def normalize_message(subject: str, body: str) -> NormalizedText:
    """Normalise a subject and a reply text (quoted history already removed)."""
    subject_text = subject.lower()
    is_reply = bool(_REPLY_PREFIX.match(subject_text))
    subject_text = _REPLY_PREFIX.sub("", subject_text)
    has_ticket_tag = bool(_TICKET_TAG.search(subject_text))
    subject_text = _TICKET_TAG.sub(" ", subject_text)

    subject_words = _words(_prepare(subject_text))
    body_words = _words(_prepare(body))
    subject_lemmas = _lemmas(subject_words)
    body_lemmas = _lemmas(body_words)

    return NormalizedText(
        lemmas=subject_lemmas + body_lemmas,
        subject_lemmas=subject_lemmas,
        surface=" ".join(subject_words + body_words),
        is_reply=is_reply,
        has_ticket_tag=has_ticket_tag,
    )


def _prepare(text: str) -> str:
    # The e-mail pattern needs an "@" and the phone and number patterns need a
    # digit, so these checks skip scans that cannot match. Most requests have neither.
    text = text.lower().replace("ё", "е")
    text = _URL.sub(" urltok ", text)
    if "@" in text:
        text = _EMAIL.sub(" emailtok ", text)
    has_digit = _DIGIT.search(text) is not None
    if has_digit:
        text = _PHONE.sub(" phonetok ", text)
    text = text.replace("wi-fi", "wifi").replace("e-mail", "email")
    if has_digit:
        text = _NUMBER.sub(" numtok ", text)
    return text


def _words(text: str) -> tuple[str, ...]:
    return tuple(map(surface_word, _TOKEN.findall(text)))


@functools.lru_cache(maxsize=65536)
def surface_word(token: str) -> str:
    word = fold_lookalikes(token)
    if word not in MASK_TOKENS and _LATIN.search(word) and not _CYRILLIC.search(word):
        word = _latin_to_russian(word)
    return word


def _lemmas(words: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(lemma for lemma in map(lemma_of, words) if lemma is not None)


@functools.lru_cache(maxsize=65536)
def fold_lookalikes(token: str) -> str:
    """Rewrite a mixed-script word in the script most of its letters use."""
    cyrillic = len(_CYRILLIC.findall(token))
    latin = len(_LATIN.findall(token))
    if not cyrillic or not latin:
        return token
    table = lexicon.LATIN_TO_CYRILLIC if cyrillic >= latin else lexicon.CYRILLIC_TO_LATIN
    return "".join(table.get(char, char) for char in token)


@functools.lru_cache(maxsize=65536)
def lemma_of(word: str) -> str | None:
    """Return the lemma of one folded, lower-case word, or None for a word without topic."""
    if word.isdigit():
        return "numtok"
    if word in lexicon.ENGLISH_STOPWORDS:
        return None
    if word in MASK_TOKENS or not _CYRILLIC.search(word):
        return lexicon.SYNONYMS.get(word, word)

    parse = _morph.parse(word)[0]
    if parse.tag.POS in _DROPPED_POS and parse.normal_form not in _KEPT_FUNCTION_WORDS:
        return None
    lemma: str = parse.normal_form.replace("ё", "е")
    return lexicon.SYNONYMS.get(lemma, lemma)


def _latin_to_russian(word: str) -> str:
    """Map an English term or a transliterated Russian word to Cyrillic.

    A word stays Latin unless a glossary lists it or one of its
    transliterations is in the pymorphy3 dictionary, so product names such
    as "outlook" stay.
    """
    for glossary in (lexicon.ENGLISH_TERMS, lexicon.TRANSLIT_TERMS):
        if word in glossary:
            return glossary[word]
    if word in lexicon.SYNONYMS or word in lexicon.ENGLISH_STOPWORDS or word in lexicon.LATIN_NAMES:
        return word

    # Two-letter words ("ne", "v") get only the letter-by-letter reading,
    # because their other spellings match unrelated short words.
    spellings = [transliterate(word)] if len(word) < 3 else candidates(word)
    for cyrillic in spellings:
        if _morph.word_is_known(cyrillic):
            return cyrillic
    return word
