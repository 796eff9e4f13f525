"""Feature extraction: word lemmas and character n-grams, weighted by TF-IDF.

Training fits scikit-learn's TfidfVectorizer on these analyzers and keeps
only its vocabulary and IDF weights. At run time `FeatureBlock.vectorize`
repeats the same arithmetic (sublinear TF, IDF, L2 norm per block), so the
shipped model loads without importing scikit-learn.
"""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

import numpy as np

from mailbot.classify.normalize import SUBJECT_PREFIX, NormalizedText

WORD_BLOCK = "words"
CHAR_BLOCK = "chars"
REPLY_FEATURE = "flag:reply"
TICKET_FEATURE = "flag:ticket"
BIGRAM_JOINER = "_"
CHAR_NGRAM_SIZES = (3, 4, 5)


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
        padded = f" {word} "
        for size in CHAR_NGRAM_SIZES:
            features.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return features


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

    def vectorize(self, text: NormalizedText) -> tuple[np.ndarray, np.ndarray]:
        """Return the column indices and TF-IDF values of one text, L2-normalised."""
        counts = Counter(ANALYZERS[self.name](text))
        columns = []
        values = []
        for feature, count in counts.items():
            column = self.vocabulary.get(feature)
            if column is None:
                continue
            columns.append(column)
            values.append((1.0 + math.log(count)) * float(self.idf[column]))

        vector = np.asarray(values, dtype=np.float64)
        norm = float(np.linalg.norm(vector))
        if norm > 0.0:
            vector = vector / norm * self.weight
        return np.asarray(columns, dtype=np.int64) + self.offset, vector


def vectorize(blocks: tuple[FeatureBlock, ...], text: NormalizedText) -> tuple[np.ndarray, np.ndarray]:
    """Return the sparse feature vector of one text over all blocks."""
    parts = [block.vectorize(text) for block in blocks]
    columns = np.concatenate([part[0] for part in parts])
    values = np.concatenate([part[1] for part in parts])
    return columns, values
