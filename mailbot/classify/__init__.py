"""Request classification: which of the eight processes a message belongs to.

Pure code over text: no mail, network or database access. Typical use::

    classifier = load_classifier()
    result = classifier.classify(subject, reply_text)
    if result.process is not None and result.confidence >= DEFAULT_THRESHOLD: ...
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mailbot.classify.brevity import is_too_short
from mailbot.classify.classifier import Classifier, load_classifier
from mailbot.classify.corpus import LABELS, LabelledItem, merge_corrections, read_jsonl
from mailbot.classify.evaluate import evaluate
from mailbot.classify.model import Classification
from mailbot.classify.model_file import DEFAULT_MODEL_PATH, TrainedModel, save

# Confidence at or above which the classifier's answer is used as it is;
# below it the requester is asked a clarifying question. Chosen by 5-fold
# cross-validation in bench/classify_bench.py: about 0.87 of requests are
# covered, with 0.95-0.96 of those correct (bench/RESULTS-classify.md).
DEFAULT_THRESHOLD = 0.7


def train(
    items: Iterable[LabelledItem], *, seed: int = 0, params: dict[str, Any] | None = None
) -> TrainedModel:
    """Train a model on labelled items; see `mailbot.classify.trainer.train`."""
    # Imported here because scikit-learn takes most of a second to import,
    # and classifying with a trained model does not need it.
    from mailbot.classify import trainer

    return trainer.train(items, seed=seed, params=params)


__all__ = [
    "DEFAULT_MODEL_PATH",
    "DEFAULT_THRESHOLD",
    "LABELS",
    "Classification",
    "Classifier",
    "LabelledItem",
    "TrainedModel",
    "evaluate",
    "is_too_short",
    "load_classifier",
    "merge_corrections",
    "read_jsonl",
    "save",
    "train",
]
