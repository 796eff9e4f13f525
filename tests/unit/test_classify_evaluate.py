"""Evaluation metrics: required keys and macro-F1 on a hand-computed case."""

from __future__ import annotations

import pytest
from sklearn.metrics import f1_score

from mailbot.classify import LabelledItem, evaluate
from mailbot.classify.evaluate import score
from mailbot.classify.model import Classification
from mailbot.processes import Process


class FixedClassifier:
    """Returns a preset process and confidence for each body text."""

    def __init__(self, answers: dict[str, tuple[Process | None, float]]) -> None:
        self._answers = answers

    def classify(self, subject: str, body: str) -> Classification:
        process, confidence = self._answers[body]
        return Classification(process, confidence, ((process, confidence),), (), "test")


def test_macro_f1_hand_computed() -> None:
    # Label 1: tp=2, fp=1, fn=0 -> P=2/3, R=1, F1=0.8.
    # Label 2: tp=1, fp=1, fn=1 -> P=1/2, R=1/2, F1=1/2.
    # null:    tp=0, fp=0, fn=1 -> F1=0. Labels 3-8 never occur and are left out.
    truth = ["1", "1", "2", "2", "null"]
    predicted = ["1", "1", "2", "1", "2"]
    confidences = [0.9, 0.8, 0.4, 0.95, 0.3]
    result = score(truth, predicted, confidences, threshold=0.5)

    assert result["macro_f1"] == pytest.approx((0.8 + 0.5 + 0.0) / 3)
    assert result["macro_f1"] == pytest.approx(f1_score(truth, predicted, average="macro"))
    assert result["accuracy"] == pytest.approx(3 / 5)
    assert result["coverage"] == pytest.approx(3 / 5)
    assert result["precision_covered"] == pytest.approx(2 / 3)
    assert result["per_process"]["1"] == pytest.approx(
        {"precision": 2 / 3, "recall": 1.0, "f1": 0.8, "support": 2}
    )
    assert result["per_process"]["null"]["support"] == 1


def test_evaluate_has_required_keys() -> None:
    items = [
        LabelledItem("", "принтер", Process.HARDWARE),
        LabelledItem("", "спасибо", None),
    ]
    classifier = FixedClassifier({"принтер": (Process.HARDWARE, 0.9), "спасибо": (Process.HARDWARE, 0.2)})
    result = evaluate(classifier, items, threshold=0.5)

    for key in ("macro_f1", "accuracy", "coverage", "precision_covered", "per_process", "threshold", "items"):
        assert key in result
    assert set(result["per_process"]) == {"1", "2", "3", "4", "5", "6", "7", "8", "null"}
    assert result["items"] == 2
    assert result["precision_covered"] == 1.0
    assert result["coverage"] == 0.5


def test_nothing_covered_gives_none() -> None:
    result = score(["1"], ["1"], [0.1], threshold=0.5)
    assert result["coverage"] == 0.0
    assert result["precision_covered"] is None


def test_empty_items_rejected() -> None:
    with pytest.raises(ValueError, match="empty"):
        score([], [], [], threshold=0.5)
