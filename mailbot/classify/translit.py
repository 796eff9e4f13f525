"""Transliterated Russian ("ne pechataet") back to Cyrillic spelling candidates.

People type Russian in Latin letters without one fixed scheme: "y" may stand
for ы, й or ь, "c" for к or ц, and the soft sign is often left out. The
normaliser tries the candidates in order and keeps the first word that is in
the pymorphy3 dictionary.
"""

from __future__ import annotations

import itertools

from mailbot.classify import lexicon

# Cyrillic letters that a Latin letter may also stand for, besides the
# letter-by-letter reading in lexicon.TRANSLIT_LETTERS.
_ALTERNATIVES: dict[str, tuple[str, ...]] = {
    "ы": ("й", "ь", "и"),
    "и": ("й", "ы"),
    "к": ("ц",),
    "е": ("э",),
}
# A soft sign that the writer left out after these consonants ("parol", "tolko").
_SOFTENED = frozenset("лнтдсзрм")
_CONSONANTS = frozenset("бвгджзклмнпрстфхцчшщ")
_VOWELS = frozenset("аеиоуыэюяй")
# Vowels before which a left-out soft sign is likely ("kompyuter", "statya").
_IOTATED = frozenset("юяе")
# Upper bound on candidates per word, so a long word costs a few dictionary look-ups.
MAX_CANDIDATES = 48


def transliterate(word: str) -> str:
    """Transliterate a Latin word letter by letter into Cyrillic."""
    for latin, cyrillic in lexicon.TRANSLIT_DIGRAPHS:
        word = word.replace(latin, cyrillic)
    return "".join(lexicon.TRANSLIT_LETTERS.get(char, char) for char in word)


def candidates(word: str) -> list[str]:
    """Return Cyrillic spellings of a Latin word, the letter-by-letter one first.

    The other candidates swap ambiguous letters (ы/й/ь/и, к/ц, е/э at the
    start of a word) and add a soft sign after a consonant before another
    consonant, before я, ю or е, or at the end of the word.
    """
    base = transliterate(word)
    options = [_letter_options(base, position) for position in range(len(base))]
    result = []
    for letters in itertools.islice(itertools.product(*options), MAX_CANDIDATES):
        result.append("".join(letters))
    return result


def _letter_options(base: str, position: int) -> tuple[str, ...]:
    letter = base[position]
    following = base[position + 1] if position + 1 < len(base) else ""
    if letter == "е" and position > 0:
        return (letter,)
    options = (letter,) + _ALTERNATIVES.get(letter, ())
    before_consonant = following not in _VOWELS and following != "ь"
    if position > 0 and letter in _SOFTENED and before_consonant:
        options += (letter + "ь",)
    elif position > 0 and letter in _CONSONANTS and following in _IOTATED:
        options += (letter + "ь",)
    return options
