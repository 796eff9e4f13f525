"""Scoring a classifier on labelled items: F1 per label, coverage at a threshold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from mailbot.classify.corpus import LABELS, LabelledItem, label_of
from mailbot.classify.model import Classification


class SupportsClassify(Protocol):
    """Anything with the classify method of `Classifier`."""

    def classify(self, subject: str, body: str) -> Classification: ...


def evaluate(
    classifier: SupportsClassify, items: Iterable[LabelledItem], *, threshold: float
) -> dict[str, Any]:
    """Classify every item and score the predictions.

    `macro_f1` and `accuracy` count every item by its top label. `coverage`
    is the share of items whose confidence is at or above `threshold`, and
    `precision_covered` the accuracy on those items (None when none is covered).
    """
    truth: list[str] = []
    predicted: list[str] = []
    confidences: list[float] = []
    for item in items:
        result = classifier.classify(item.subject, item.body)
        truth.append(item.label)
        predicted.append(label_of(result.process))
        confidences.append(result.confidence)
    return score(truth, predicted, confidences, threshold=threshold)


def score(
    truth: Sequence[str],
    predicted: Sequence[str],
    confidences: Sequence[float],
    *,
    threshold: float,
) -> dict[str, Any]:
    """Score label predictions with their confidences; see `evaluate`."""
    if not truth:
        raise ValueError("cannot score an empty set of items")
    per_process = {label: _label_scores(truth, predicted, label) for label in LABELS}

    # Labels with neither items nor predictions have no defined F1 and are
    # left out of the mean, as scikit-learn's f1_score(average="macro") does.
    present = [label for label in LABELS if label in truth or label in predicted]
    macro_f1 = sum(per_process[label]["f1"] for label in present) / len(present)

    correct = [gold == guess for gold, guess in zip(truth, predicted)]
    covered = [ok for ok, confidence in zip(correct, confidences) if confidence >= threshold]
    return {
        "macro_f1": macro_f1,
        "accuracy": sum(correct) / len(correct),
        "coverage": len(covered) / len(correct),
        "precision_covered": sum(covered) / len(covered) if covered else None,
        "threshold": threshold,
        "items": len(correct),
        "per_process": per_process,
    }


def _label_scores(truth: Sequence[str], predicted: Sequence[str], label: str) -> dict[str, Any]:
    true_positive = sum(1 for gold, guess in zip(truth, predicted) if gold == label == guess)
    predicted_count = sum(1 for guess in predicted if guess == label)
    support = sum(1 for gold in truth if gold == label)

    precision = true_positive / predicted_count if predicted_count else 0.0
    recall = true_positive / support if support else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": support}
