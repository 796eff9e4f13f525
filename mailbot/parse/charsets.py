"""Byte-to-text decoding that survives wrong or missing charset labels.

A declared charset is trusted only when the bytes decode with it and the
result reads as Russian (or carries no Cyrillic at all). Otherwise the usual
Russian encodings are tried and scored, and charset-normalizer is the last
resort for text that reads as none of them.
"""

from __future__ import annotations

import codecs
import functools
import logging
import math
import re

import charset_normalizer

logger = logging.getLogger(__name__)

# Encodings Russian mail clients actually send, in the order they are tried
# when a label is missing or wrong.
RUSSIAN_CANDIDATES: tuple[str, ...] = ("utf-8", "cp1251", "koi8-r", "cp866")

# Letter frequencies of Russian prose in percent (the widely published
# corpus counts; ё is counted apart from е).
_LETTER_PERCENT: dict[str, float] = {
    "о": 10.97, "е": 8.45, "а": 8.01, "и": 7.35, "н": 6.70, "т": 6.26,
    "с": 5.47, "р": 4.73, "в": 4.54, "л": 4.40, "к": 3.49, "м": 3.21,
    "д": 2.98, "п": 2.81, "у": 2.62, "я": 2.01, "ы": 1.90, "ь": 1.74,
    "г": 1.70, "з": 1.65, "б": 1.59, "ч": 1.44, "й": 1.21, "х": 0.97,
    "ж": 0.94, "ш": 0.73, "ю": 0.64, "ц": 0.48, "щ": 0.36, "э": 0.32,
    "ф": 0.26, "ъ": 0.04, "ё": 0.04,
}
_LETTER_LOG: dict[str, float] = {
    letter: math.log(percent / 100.0) for letter, percent in _LETTER_PERCENT.items()
}
# Log-probability given to a Cyrillic letter that Russian does not use
# (Ukrainian, Serbian and Macedonian letters that wrong decodings produce).
_FOREIGN_LETTER_LOG = math.log(0.00005)

# Score at or above which decoded text is taken as readable Russian. The
# average log letter probability of real Russian text is about -3.2 and a
# wrong single-byte decoding scores below -4 once its case and script
# penalties are added.
READABLE_SCORE = -3.9

# How much of a long text is scored: enough words to tell the encodings apart.
_SAMPLE_CHARS = 2000
# Score lead a candidate needs over a declared label that already yields Cyrillic.
_SWITCH_MARGIN = 1.0
# Texts with fewer Cyrillic letters than this keep their label unless another
# reading is far better: two or three letters prove little.
_SHORT_TEXT_LETTERS = 8
# charset-normalizer guesses wildly on a few bytes, so it is not asked below this.
_DETECTOR_MIN_BYTES = 64
_SAMPLE_BYTES = 8000
_DETECTOR_BYTES = 65536

_WORD_RE = re.compile(r"[^\W\d_]+")
_CYRILLIC_RE = re.compile(r"[\u0400-\u04ff]")
_LATIN_RE = re.compile(r"[A-Za-z]")
_JUNK_RE = re.compile(r"[\u0080-\u009f\u2500-\u25ff\ufffd\ue000-\uf8ff]")
_BAD_CASE_RE = re.compile(r"[а-яё][А-ЯЁ]")

_ALIASES: dict[str, str] = {
    "win-1251": "cp1251",
    "windows1251": "cp1251",
    "x-cp1251": "cp1251",
    "cp-1251": "cp1251",
    "koi8r": "koi8-r",
    "koi-8r": "koi8-r",
    "x-koi8-r": "koi8-r",
    "ibm866": "cp866",
    "x-cp866": "cp866",
    "dos-866": "cp866",
    "unicode-1-1-utf-8": "utf-8",
    "utf8": "utf-8",
    "x-unknown": "",
    "unknown-8bit": "",
    "default": "",
}


@functools.lru_cache(maxsize=256)
def normalize_charset(label: str | None) -> str | None:
    """Return the Python codec name for a MIME charset label, or None if unknown."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").split("*", 1)[0].lower()
    cleaned = _ALIASES.get(cleaned, cleaned)
    if not cleaned:
        return None
    try:
        return codecs.lookup(cleaned).name
    except (LookupError, ValueError):
        return None


def russian_score(text: str) -> float:
    """Score how much `text` reads as Russian: higher is better, 0.0 when it has no Cyrillic.

    The score is the average log-probability of its Cyrillic letters, minus
    penalties for words that mix scripts or switch from lower to upper case
    inside a word and for characters that real text rarely contains (C1
    controls, box drawing). Swapped KOI8-R/windows-1251 decodings fail on
    case, windows-1251 read as cp866 fails on box drawing characters.
    """
    return _assess(text)[0]


def _assess(text: str) -> tuple[float, int]:
    """Return the Russian score of `text` and how many Cyrillic letters it has."""
    sample = text[:_SAMPLE_CHARS]
    junk = len(_JUNK_RE.findall(sample))
    letters = 0
    total_log = 0.0
    bad_words = 0
    cyrillic_words = 0
    for word in _WORD_RE.findall(sample):
        if not _CYRILLIC_RE.search(word):
            continue
        cyrillic_words += 1
        if _LATIN_RE.search(word) or _BAD_CASE_RE.search(word):
            bad_words += 1
        for char in word.lower():
            if "\u0400" <= char <= "\u04ff":
                letters += 1
                total_log += _LETTER_LOG.get(char, _FOREIGN_LETTER_LOG)
    if letters == 0:
        return (-10.0 if junk else 0.0), 0
    score = total_log / letters
    score -= 4.0 * bad_words / cyrillic_words
    score -= 20.0 * junk / letters
    return score, letters


def _try_decode(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _try_decode_prefix(data: bytes, codec: str) -> str | None:
    """Decode the start of a text, tolerating a multibyte character cut at the end."""
    try:
        return codecs.getincrementaldecoder(codec)().decode(data[:_SAMPLE_BYTES], final=False)
    except (UnicodeDecodeError, LookupError):
        return None


def _best_single_byte(data: bytes) -> tuple[str, float, int]:
    """Return the single-byte Russian encoding that reads best, its score and letter count."""
    sample = data[:_SAMPLE_BYTES]
    best = ("cp1251", -100.0, 0)
    for codec in RUSSIAN_CANDIDATES[1:]:
        score, cyrillic = _assess(sample.decode(codec, errors="replace"))
        if score > best[1]:
            best = (codec, score, cyrillic)
    return best


def _detect_other(data: bytes) -> str | None:
    """Return the charset-normalizer guess for non-Russian text, or None without a guess."""
    try:
        match = charset_normalizer.from_bytes(data[:_DETECTOR_BYTES]).best()
    except Exception:  # the detector is a heuristic library; it must not stop parsing
        logger.debug("charset-normalizer failed", exc_info=True)
        return None
    if match is None:
        return None
    return normalize_charset(match.encoding)


def choose_charset(data: bytes, declared: str | None) -> str:
    """Return the codec that turns `data` into readable text, preferring `declared`.

    Valid UTF-8 with non-ASCII bytes is taken as UTF-8 whatever the label, since
    single-byte Cyrillic text practically never forms valid UTF-8 sequences.
    """
    codec = normalize_charset(declared)
    if data.isascii():
        return codec if codec and codec != "utf-7" else "ascii"
    if _try_decode(data, "utf-8") is not None:
        return "utf-8"

    declared_text = _try_decode_prefix(data, codec) if codec else None
    declared_score, declared_letters = _assess(declared_text) if declared_text else (-100.0, 0)
    if declared_letters and declared_score >= READABLE_SCORE:
        return codec or "utf-8"

    best_codec, best_score, best_letters = _best_single_byte(data)
    if declared_letters:
        # A short or unusual text may score low under its true label: switch
        # only to an encoding that reads clearly better.
        margin = _SWITCH_MARGIN if declared_letters >= _SHORT_TEXT_LETTERS else 4 * _SWITCH_MARGIN
        switch = best_letters > 0 and best_score > declared_score + margin
        return best_codec if switch else codec or best_codec
    if best_letters and best_score >= READABLE_SCORE:
        return best_codec
    if codec is not None and declared_text is not None:
        # A Latin text in its own single-byte charset: no Russian reading is better.
        return codec
    if best_letters and len(data) < _DETECTOR_MIN_BYTES:
        return best_codec

    detected = _detect_other(data) if len(data) >= _DETECTOR_MIN_BYTES else None
    return detected or best_codec


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode `data` to text and return it with the codec used; never raises.

    Undecodable bytes become U+FFFD, so the result is always a str.
    """
    try:
        codec = choose_charset(data, declared)
        return data.decode(codec, errors="replace"), codec
    except (LookupError, ValueError):
        return data.decode("utf-8", errors="replace"), "utf-8"
