"""Training: fit TF-IDF blocks and a logistic regression, then calibrate.

Items are sorted before training, so the same items in any order give the
same model, and the version is a hash of the items, parameters and seed.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from mailbot.classify.corpus import LABELS, LabelledItem
from mailbot.classify.features import ANALYZERS, CHAR_BLOCK, WORD_BLOCK, FeatureBlock, vectorize
from mailbot.classify.model_file import FORMAT_VERSION, TrainedModel
from mailbot.classify.normalize import NormalizedText, normalize_message

logger = logging.getLogger(__name__)

DEFAULT_PARAMS: dict[str, Any] = {
    "C": 10.0,
    "max_iter": 5000,
    "word_min_df": 1,
    "char_min_df": 2,
    "char_weight": 1.0,
    "calibration_folds": 5,
}
# Logit of a label that the training data never shows, so it is never predicted.
ABSENT_LABEL_INTERCEPT = -50.0
TEMPERATURE_GRID = np.geomspace(0.05, 5.0, 121)


def train(
    items: Iterable[LabelledItem], *, seed: int = 0, params: dict[str, Any] | None = None
) -> TrainedModel:
    """Train a model on labelled items; raise ValueError on fewer than two labels."""
    ordered = sorted(items, key=_sort_key)
    merged_params = {**DEFAULT_PARAMS, **(params or {})}
    labels = np.array([item.label for item in ordered])
    if len(set(labels.tolist())) < 2:
        raise ValueError("training needs items of at least two labels")

    texts = [normalize_message(item.subject, item.body) for item in ordered]
    weights = np.array([item.weight for item in ordered])
    blocks, matrix = fit_blocks(texts, merged_params)
    coef, intercept = fit_linear(matrix, labels, weights, merged_params, seed)
    temperature = fit_temperature(texts, labels, weights, merged_params, seed)

    version = training_version(ordered, merged_params, seed)
    logger.info(
        "trained classifier %s on %d items, %d features, temperature %.3f",
        version, len(ordered), coef.shape[1], temperature,
    )
    return TrainedModel(
        version=version,
        labels=LABELS,
        blocks=blocks,
        coef=coef.astype(np.float32),
        intercept=intercept,
        temperature=temperature,
        params=merged_params,
        training_items=len(ordered),
    )


def fit_blocks(
    texts: Sequence[NormalizedText], params: dict[str, Any]
) -> tuple[tuple[FeatureBlock, ...], sparse.csr_matrix]:
    """Fit the word and character TF-IDF blocks; return them and the training matrix."""
    settings = (
        (WORD_BLOCK, params["word_min_df"], 1.0),
        (CHAR_BLOCK, params["char_min_df"], params["char_weight"]),
    )
    blocks = []
    matrices = []
    offset = 0
    for name, min_df, weight in settings:
        vectorizer = TfidfVectorizer(
            analyzer=ANALYZERS[name], sublinear_tf=True, min_df=min_df, dtype=np.float64
        )
        matrices.append(vectorizer.fit_transform(texts) * weight)
        vocabulary = {feature: int(column) for feature, column in vectorizer.vocabulary_.items()}
        blocks.append(FeatureBlock(name, vocabulary, vectorizer.idf_.copy(), weight, offset))
        offset += len(vocabulary)
    return tuple(blocks), sparse.hstack(matrices).tocsr()


def fit_linear(
    matrix: sparse.csr_matrix,
    labels: np.ndarray,
    weights: np.ndarray,
    params: dict[str, Any],
    seed: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Fit a multinomial logistic regression; return coef and intercept in LABELS order."""
    estimator = LogisticRegression(C=params["C"], max_iter=params["max_iter"], random_state=seed)
    estimator.fit(matrix, labels, sample_weight=weights)

    coef = np.zeros((len(LABELS), matrix.shape[1]))
    intercept = np.full(len(LABELS), ABSENT_LABEL_INTERCEPT)
    fitted = _fitted_rows(estimator)
    for row, label in enumerate(estimator.classes_):
        coef[LABELS.index(label)] = fitted[0][row]
        intercept[LABELS.index(label)] = fitted[1][row]
    return coef, intercept


def _fitted_rows(estimator: LogisticRegression) -> tuple[np.ndarray, np.ndarray]:
    # With two classes scikit-learn stores one row for the second class.
    if len(estimator.classes_) == 2:
        half = estimator.coef_[0] / 2.0
        return np.vstack([-half, half]), np.array([-1.0, 1.0]) * estimator.intercept_[0] / 2.0
    return estimator.coef_, estimator.intercept_


def fit_temperature(
    texts: Sequence[NormalizedText],
    labels: np.ndarray,
    weights: np.ndarray,
    params: dict[str, Any],
    seed: int,
) -> float:
    """Fit the softmax temperature on out-of-fold logits by minimum log loss.

    Returns 1.0 when a label has too few items for the requested folds.
    """
    folds = min(params["calibration_folds"], min(Counter(labels.tolist()).values()))
    if folds < 2:
        return 1.0

    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    logits = np.zeros((len(texts), len(LABELS)))
    for train_rows, test_rows in splitter.split(np.zeros(len(labels)), labels):
        blocks, matrix = fit_blocks([texts[row] for row in train_rows], params)
        coef, intercept = fit_linear(matrix, labels[train_rows], weights[train_rows], params, seed)
        held_out = _transform(blocks, [texts[row] for row in test_rows], matrix.shape[1])
        logits[test_rows] = held_out @ coef.T + intercept

    truth = np.array([LABELS.index(label) for label in labels])
    losses = [_log_loss(logits / temperature, truth) for temperature in TEMPERATURE_GRID]
    return float(TEMPERATURE_GRID[int(np.argmin(losses))])


def _transform(
    blocks: tuple[FeatureBlock, ...], texts: Sequence[NormalizedText], width: int
) -> sparse.csr_matrix:
    rows = []
    for text in texts:
        columns, values = vectorize(blocks, text)
        rows.append(sparse.csr_matrix((values, (np.zeros(len(columns)), columns)), shape=(1, width)))
    return sparse.vstack(rows).tocsr()


def _log_loss(logits: np.ndarray, truth: np.ndarray) -> float:
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-log_probs[np.arange(len(truth)), truth].mean())


def training_version(items: Iterable[LabelledItem], params: dict[str, Any], seed: int) -> str:
    """Return a short hash of the items (in any order), parameters, seed and file format."""
    digest = hashlib.sha256()
    header = {"format_version": FORMAT_VERSION, "params": params, "seed": seed}
    digest.update(json.dumps(header, sort_keys=True).encode())
    for item in sorted(items, key=_sort_key):
        record = [item.label, item.subject, item.body, item.weight]
        digest.update(json.dumps(record, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:16]


def _sort_key(item: LabelledItem) -> tuple[str, str, str, float]:
    return (item.label, item.subject, item.body, item.weight)
