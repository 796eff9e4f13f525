"""The trained model as plain arrays, and its file format (joblib)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import joblib
import numpy as np

from mailbot.classify.features import FeatureBlock

FORMAT = "mailbot-classifier"
FORMAT_VERSION = 1
DEFAULT_MODEL_PATH = Path(__file__).resolve().parent / "data" / "model.joblib"


class ModelFileError(ValueError):
    """A model file is missing, unreadable or of another format."""


@dataclasses.dataclass(frozen=True)
class TrainedModel:
    """A fitted linear classifier over TF-IDF blocks.

    `coef` has one row per label and one column per feature. The class
    probabilities are softmax((coef @ x + intercept) / temperature). The
    temperature is fitted on out-of-fold predictions to calibrate them.
    """

    version: str
    labels: tuple[str, ...]
    blocks: tuple[FeatureBlock, ...]
    coef: np.ndarray
    intercept: np.ndarray
    temperature: float
    params: dict[str, Any]
    training_items: int


def save(model: TrainedModel, path: Path) -> None:
    """Write the model to `path` (joblib, zlib-compressed); same model, same bytes."""
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": model.version,
        "labels": list(model.labels),
        "blocks": [
            {
                "name": block.name,
                "features": _features_by_column(block.vocabulary),
                "idf": block.idf,
                "weight": block.weight,
                "offset": block.offset,
            }
            for block in model.blocks
        ],
        "coef": model.coef,
        "intercept": model.intercept,
        "temperature": model.temperature,
        "params": model.params,
        "training_items": model.training_items,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    joblib.dump(payload, path, compress=("zlib", 6))


def load_model(path: Path) -> TrainedModel:
    """Read a model written by `save`; raise ModelFileError if it is not one."""
    try:
        payload = joblib.load(path)
    except FileNotFoundError as error:
        raise ModelFileError(f"model file not found: {path}") from error
    except Exception as error:
        raise ModelFileError(f"model file unreadable: {path}: {error}") from error

    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelFileError(f"not a mailbot classifier model: {path}")
    if payload.get("format_version") != FORMAT_VERSION:
        raise ModelFileError(
            f"model format version {payload.get('format_version')} in {path}, "
            f"expected {FORMAT_VERSION}: retrain with `mailbot classify train`"
        )
    return _model_from_payload(payload)


def _model_from_payload(payload: dict[str, Any]) -> TrainedModel:
    blocks = tuple(
        FeatureBlock(
            name=block["name"],
            vocabulary={feature: column for column, feature in enumerate(block["features"])},
            idf=np.asarray(block["idf"]),
            weight=float(block["weight"]),
            offset=int(block["offset"]),
        )
        for block in payload["blocks"]
    )
    return TrainedModel(
        version=payload["version"],
        labels=tuple(payload["labels"]),
        blocks=blocks,
        coef=np.asarray(payload["coef"]),
        intercept=np.asarray(payload["intercept"]),
        temperature=float(payload["temperature"]),
        params=dict(payload["params"]),
        training_items=int(payload["training_items"]),
    )


def _features_by_column(vocabulary: dict[str, int]) -> list[str]:
    features = [""] * len(vocabulary)
    for feature, column in vocabulary.items():
        features[column] = feature
    return features
