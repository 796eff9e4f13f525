"""Feature extraction: word lemmas and character n-grams, weighted by TF-IDF.

Training fits scikit-learn's TfidfVectorizer on these analyzers and keeps
only its vocabulary and IDF weights. At run time `FeatureBlock.vectorize`
repeats the same arithmetic (sublinear TF, IDF, L2 norm per block), so the
shipped model loads without importing scikit-learn.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
from collections import Counter
from collections.abc import Callable, Iterable

import numpy as np

from mailbot.classify.normalize import SUBJECT_PREFIX, NormalizedText

WORD_BLOCK = "words"
CHAR_BLOCK = "chars"
REPLY_FEATURE = "flag:reply"
TICKET_FEATURE = "flag:ticket"
BIGRAM_JOINER = "_"
CHAR_NGRAM_SIZES = (3, 4, 5)

# Word forms whose character n-gram columns a block keeps. An entry took
# about 0.25 KB on the shipped corpora's words (tracemalloc, key included),
# so a full cache takes about 2 MB, which the daemon's peak memory can spare.
NGRAM_CACHE_SIZE = 8192

# Sublinear TF 1 + ln(count) for the counts a message usually has, computed
# with math.log as the per-feature loop did, so the values stay bit-identical.
_SUBLINEAR_TF = np.array([0.0] + [1.0 + math.log(count) for count in range(1, 256)])


def word_features(text: NormalizedText) -> list[str]:
    """Return lemmas, subject lemmas with a prefix, lemma bigrams and flags."""
    features = list(text.lemmas)
    features.extend(SUBJECT_PREFIX + lemma for lemma in text.subject_lemmas)
    features.extend(
        first + BIGRAM_JOINER + second for first, second in zip(text.lemmas, text.lemmas[1:])
    )
    if text.is_reply:
        features.append(REPLY_FEATURE)
    if text.has_ticket_tag:
        features.append(TICKET_FEATURE)
    return features


def char_features(text: NormalizedText) -> list[str]:
    """Return character n-grams of each word form, padded with spaces at both ends."""
    features: list[str] = []
    for word in text.surface.split():
        features.extend(word_ngrams(word))
    return features


def word_ngrams(word: str) -> list[str]:
    """Return the character n-grams of one word form, padded with spaces at both ends."""
    padded = f" {word} "
    ngrams: list[str] = []
    for size in CHAR_NGRAM_SIZES:
        ngrams.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return ngrams


ANALYZERS = {WORD_BLOCK: word_features, CHAR_BLOCK: char_features}


@dataclasses.dataclass(frozen=True)
class FeatureBlock:
    """One fitted TF-IDF block.

    `vocabulary` maps a feature to its column inside the block, `idf` holds
    the IDF weight of each column, `offset` is the block's first column in
    the whole feature vector and `weight` scales the block after L2 norm.
    """

    name: str
    vocabulary: dict[str, int]
    idf: np.ndarray
    weight: float
    offset: int
    # Words repeat across messages, so the char block caches each word
    # form's n-gram columns instead of slicing and looking them up again.
    _ngram_columns: Callable[[str], tuple[int, ...]] = dataclasses.field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        lookup = functools.partial(_word_ngram_columns, self.vocabulary)
        object.__setattr__(self, "_ngram_columns", functools.lru_cache(maxsize=NGRAM_CACHE_SIZE)(lookup))

    def __reduce__(self) -> tuple[type[FeatureBlock], tuple[str, dict[str, int], np.ndarray, float, int]]:
        # Pickle rejects the cache's wrapped partial, so a copy is built from the fields with an empty cache.
        return (FeatureBlock, (self.name, self.vocabulary, self.idf, self.weight, self.offset))

    def vectorize(self, text: NormalizedText) -> tuple[np.ndarray, np.ndarray]:
        """Return the column indices and TF-IDF values of one text, L2-normalised.

        Columns come in the order their features first occur in the text, so the
        norm and the dot product with the coefficients add terms in a fixed order.
        """
        # Counting columns gives the same counts as counting features,
        # because the vocabulary maps distinct features to distinct columns.
        counts = Counter(self._columns(text))
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        occurrences = np.fromiter(counts.values(), dtype=np.int64, count=len(counts))

        vector = _sublinear_tf(occurrences) * self.idf[columns]
        norm = float(np.linalg.norm(vector))
        if norm > 0.0:
            vector = vector / norm * self.weight
        return columns + self.offset, vector

    def _columns(self, text: NormalizedText) -> Iterable[int]:
        """Return the block's columns of every in-vocabulary feature of a text, repeats kept."""
        if self.name == CHAR_BLOCK:
            return itertools.chain.from_iterable(map(self._ngram_columns, text.surface.split()))
        return _vocabulary_columns(self.vocabulary, ANALYZERS[self.name](text))


def vectorize(blocks: tuple[FeatureBlock, ...], text: NormalizedText) -> tuple[np.ndarray, np.ndarray]:
    """Return the sparse feature vector of one text over all blocks."""
    parts = [block.vectorize(text) for block in blocks]
    columns = np.concatenate([part[0] for part in parts])
    values = np.concatenate([part[1] for part in parts])
    return columns, values


def _vocabulary_columns(vocabulary: dict[str, int], features: Iterable[str]) -> tuple[int, ...]:
    """Return the columns of the features in the vocabulary, in order, dropping the others."""
    lookup = vocabulary.get
    return tuple([column for feature in features if (column := lookup(feature)) is not None])


def _word_ngram_columns(vocabulary: dict[str, int], word: str) -> tuple[int, ...]:
    return _vocabulary_columns(vocabulary, word_ngrams(word))


def _sublinear_tf(counts: np.ndarray) -> np.ndarray:
    """Return 1 + ln(count) per count, with math.log for counts beyond the table."""
    if counts.size == 0 or counts.max() < len(_SUBLINEAR_TF):
        table: np.ndarray = _SUBLINEAR_TF[counts]
        return table
    return np.array([1.0 + math.log(count) for count in counts.tolist()])
