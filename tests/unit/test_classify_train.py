"""Training: determinism, staff corrections, and run-time features equal to scikit-learn's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from mailbot.classify import (
    Classifier,
    LabelledItem,
    TrainedModel,
    load_classifier,
    merge_corrections,
    save,
    train,
)
from mailbot.classify.corpus import read_jsonl
from mailbot.classify.features import vectorize
from mailbot.classify.normalize import normalize_message
from mailbot.classify.trainer import fit_blocks, training_version
from mailbot.processes import Process

CORPUS = Path(__file__).resolve().parents[2] / "mailbot" / "classify" / "data" / "corpus.jsonl"
PER_LABEL = 8
SEED = 3
PROBES = [
    ("Сканер", "Сканер не сохраняет файлы в сетевую папку"),
    ("Отчёт", "Нужен годовой отчёт по информатизации"),
    ("", "спасибо, всё работает"),
]


@pytest.fixture(scope="module")
def subset() -> list[LabelledItem]:
    """The first PER_LABEL corpus items of each label: small enough to train in a second."""
    counts_by_label: dict[str, int] = {}
    items = []
    for item in read_jsonl(CORPUS):
        if counts_by_label.get(item.label, 0) < PER_LABEL:
            counts_by_label[item.label] = counts_by_label.get(item.label, 0) + 1
            items.append(item)
    return items


@pytest.fixture(scope="module")
def model(subset: list[LabelledItem]) -> TrainedModel:
    return train(subset, seed=SEED)


def test_training_is_deterministic(
    subset: list[LabelledItem], model: TrainedModel, tmp_path: Path
) -> None:
    first = model
    second = train(list(reversed(subset)), seed=SEED)
    save(first, tmp_path / "first.joblib")
    save(second, tmp_path / "second.joblib")

    assert first.version == second.version
    assert (tmp_path / "first.joblib").read_bytes() == (tmp_path / "second.joblib").read_bytes()
    for subject, body in PROBES:
        assert Classifier(first).classify(subject, body) == Classifier(second).classify(subject, body)


def test_version_changes_with_data(subset: list[LabelledItem], model: TrainedModel) -> None:
    params = model.params
    assert training_version(subset, params, SEED) == model.version
    assert training_version(subset[1:], params, SEED) != model.version
    assert training_version(subset, params, SEED + 1) != model.version


def test_saved_model_loads_same(model: TrainedModel, tmp_path: Path) -> None:
    save(model, tmp_path / "model.joblib")
    loaded = load_classifier(tmp_path / "model.joblib")
    for subject, body in PROBES:
        assert loaded.classify(subject, body) == Classifier(model).classify(subject, body)


def test_correction_changes_prediction(subset: list[LabelledItem], model: TrainedModel) -> None:
    subject, body = "Колонки", "Не работают колонки у компьютера, звука нет"
    before = Classifier(model).classify(subject, body)
    assert before.process is not Process.REPORTING

    correction = LabelledItem(subject=subject, body=body, process=Process.REPORTING)
    after = Classifier(train(merge_corrections(subset, [correction]), seed=SEED)).classify(subject, body)
    assert after.process is Process.REPORTING


def test_correction_replaces_same_text() -> None:
    original = LabelledItem("Тема", "Текст  обращения", Process.HARDWARE)
    correction = LabelledItem("тема", "текст обращения", Process.INFORMATION_SECURITY)
    merged = merge_corrections([original], [correction])
    assert [item.process for item in merged] == [Process.INFORMATION_SECURITY]
    assert merged[0].weight > original.weight


def test_runtime_features_match_sklearn(subset: list[LabelledItem]) -> None:
    texts = [normalize_message(item.subject, item.body) for item in subset]
    blocks, matrix = fit_blocks(texts, {"word_min_df": 1, "char_min_df": 2, "char_weight": 1.0})
    for row, text in enumerate(texts[:10]):
        columns, values = vectorize(blocks, text)
        dense = np.zeros(matrix.shape[1])
        dense[columns] = values
        np.testing.assert_allclose(dense, matrix[row].toarray()[0], atol=1e-9)


def test_single_label_rejected() -> None:
    items = [LabelledItem("a", "принтер", Process.HARDWARE), LabelledItem("b", "монитор", Process.HARDWARE)]
    with pytest.raises(ValueError, match="two labels"):
        train(items)
