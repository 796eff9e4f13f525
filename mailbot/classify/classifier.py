"""The run-time classifier: a loaded model plus the strong rules."""

from __future__ import annotations

import functools
import logging
from pathlib import Path

import numpy as np

from mailbot.classify.corpus import process_of
from mailbot.classify.features import BIGRAM_JOINER, WORD_BLOCK, FeatureBlock, vectorize
from mailbot.classify.model import Classification
from mailbot.classify.model_file import DEFAULT_MODEL_PATH, TrainedModel, load_model
from mailbot.classify.normalize import MASK_TOKENS, SUBJECT_PREFIX, normalize_message
from mailbot.classify.rules import RuleMatch, match_rules

logger = logging.getLogger(__name__)

# Share of the final probabilities that a fired rule takes. The model keeps
# the rest, so the order of the other labels still comes from the model.
RULE_WEIGHT = 0.8
MAX_REASON_WORDS = 5

REASON_WORD_RU = "«{word}»"
REASON_SUBJECT_WORD_RU = "в теме: «{word}»"
REASON_NONE_RU = "нет явных признаков: решение по общему сходству с примерами"


class Classifier:
    """Maps a subject and reply text to a process with a calibrated confidence."""

    def __init__(self, model: TrainedModel) -> None:
        self._model = model
        self._word_block = _block_named(model.blocks, WORD_BLOCK)
        self._word_features = _features_by_column(self._word_block)
        self._processes = tuple(process_of(label) for label in model.labels)

    @property
    def version(self) -> str:
        return self._model.version

    @property
    def model(self) -> TrainedModel:
        return self._model

    def probabilities(self, subject: str, body: str) -> np.ndarray:
        """Return the model's calibrated probability of each label, rules not applied."""
        text = normalize_message(subject, body)
        columns, values = vectorize(self._model.blocks, text)
        return self._softmax(columns, values)

    def classify(self, subject: str, body: str) -> Classification:
        """Classify one message; process None means "not a request"."""
        text = normalize_message(subject, body)
        columns, values = vectorize(self._model.blocks, text)
        probabilities = self._softmax(columns, values)

        rule = match_rules(subject, body)
        if rule is not None:
            probabilities = self._apply_rule(probabilities, rule)

        best = int(np.argmax(probabilities))
        reasons = self._reasons(columns, values, best, rule)
        label_probabilities = probabilities.tolist()
        order = np.argsort(-probabilities, kind="stable").tolist()
        ranking = tuple((self._processes[row], label_probabilities[row]) for row in order)
        return Classification(
            process=self._processes[best],
            confidence=label_probabilities[best],
            ranking=ranking,
            reasons=reasons,
            model_version=self._model.version,
        )

    def _softmax(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        # Only the message's columns are widened to float64: a float64 copy
        # of the whole model would add 2.6 MB to the daemon's peak memory.
        logits = self._model.coef[:, columns].astype(np.float64) @ values + self._model.intercept
        logits = logits / self._model.temperature
        exponents = np.exp(logits - logits.max())
        probabilities: np.ndarray = exponents / exponents.sum()
        return probabilities

    def _apply_rule(self, probabilities: np.ndarray, rule: RuleMatch) -> np.ndarray:
        target = np.zeros_like(probabilities)
        target[self._model.labels.index(rule.label)] = 1.0
        return RULE_WEIGHT * target + (1.0 - RULE_WEIGHT) * probabilities

    def _reasons(
        self, columns: np.ndarray, values: np.ndarray, row: int, rule: RuleMatch | None
    ) -> tuple[str, ...]:
        """Return the rule, then the words that pushed the chosen label up the most."""
        reasons = [rule.reason] if rule is not None else []
        block = self._word_block
        in_block = (columns >= block.offset) & (columns < block.offset + len(block.vocabulary))
        word_columns = columns[in_block] - block.offset

        # A word counts by how much more it supports this label than the average label.
        coef = self._model.coef[:, word_columns + block.offset].astype(np.float64)
        support = (coef[row] - coef.mean(axis=0)) * values[in_block]
        supports = support.tolist()
        block_columns = word_columns.tolist()
        for position in np.argsort(-support, kind="stable").tolist():
            if supports[position] <= 0 or len(reasons) >= MAX_REASON_WORDS + (rule is not None):
                break
            reason = _describe(self._word_features[block_columns[position]])
            if reason is not None and reason not in reasons:
                reasons.append(reason)
        return tuple(reasons) if reasons else (REASON_NONE_RU,)


def load_classifier(path: Path | None = None) -> Classifier:
    """Load a classifier from a model file, by default the one shipped in the package."""
    model_path = path if path is not None else DEFAULT_MODEL_PATH
    model = load_model(model_path)
    logger.info("loaded classifier %s from %s", model.version, model_path)
    return Classifier(model)


@functools.lru_cache(maxsize=16384)
def _describe(feature: str) -> str | None:
    """Return a feature as people read it, or None for a flag or a mask."""
    if feature.startswith("flag:"):
        return None
    template = REASON_WORD_RU
    if feature.startswith(SUBJECT_PREFIX):
        feature = feature[len(SUBJECT_PREFIX) :]
        template = REASON_SUBJECT_WORD_RU
    words = feature.split(BIGRAM_JOINER)
    if any(word in MASK_TOKENS for word in words) or words == ["не"]:
        return None
    return template.format(word=" ".join(words))


def _block_named(blocks: tuple[FeatureBlock, ...], name: str) -> FeatureBlock:
    for block in blocks:
        if block.name == name:
            return block
    raise ValueError(f"model has no {name!r} feature block")


def _features_by_column(block: FeatureBlock) -> list[str]:
    features = [""] * len(block.vocabulary)
    for feature, column in block.vocabulary.items():
        features[column] = feature
    return features
