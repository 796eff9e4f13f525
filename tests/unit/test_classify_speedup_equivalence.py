"""The cached, array-based classifier gives the results of the plain per-feature arithmetic.

The reference functions below compute the same results the plain way, with
no word caches and no whole-vector arithmetic: a Counter over feature
strings, one math.log and one IDF lookup per feature, and coefficients
gathered and converted per message. Every text of the shipped corpora goes
through both.
"""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from mailbot.classify import normalize as normalize_module
from mailbot.classify.classifier import MAX_REASON_WORDS, REASON_NONE_RU, RULE_WEIGHT, Classifier
from mailbot.classify.corpus import process_of, read_many
from mailbot.classify.features import (
    BIGRAM_JOINER,
    CHAR_BLOCK,
    WORD_BLOCK,
    FeatureBlock,
    char_features,
    vectorize,
    word_features,
)
from mailbot.classify.model_file import DEFAULT_MODEL_PATH, TrainedModel, load_model
from mailbot.classify.normalize import MASK_TOKENS, SUBJECT_PREFIX, NormalizedText, normalize_message
from mailbot.classify.rules import RuleMatch, match_rules
from mailbot.processes import Process

DATA = Path(__file__).resolve().parents[2] / "mailbot" / "classify" / "data"
CORPORA = (DATA / "corpus.jsonl", DATA / "corpus-extra.jsonl")
VALUE_TOLERANCE = 1e-12
PROBABILITY_TOLERANCE = 1e-9

# Texts the corpora lack: empty, a word repeated more often than the sublinear
# TF table covers (255 times), contacts, a non-ASCII digit and subject flags.
EDGE_MESSAGES = [
    ("", ""),
    ("Принтер", " ".join(["принтер"] * 300)),
    ("Re: [заявка 15] Почта", "пишите ivanov@committee.example или звоните +7 (812) 555-12-34, 55-21-44"),
    ("", "см. https://committee.example/docs и www.committee.example, кабинет ٣١٤"),
    ("Fwd: outlook", "outlook ne rabotaet, wi-fi i e-mail tozhe"),
]

ReferenceResult = tuple[Process | None, float, tuple[tuple[Process | None, float], ...], tuple[str, ...]]


@pytest.fixture(scope="module")
def messages() -> list[tuple[str, str]]:
    items = read_many(CORPORA)
    assert len(items) > 900
    return [(item.subject, item.body) for item in items] + EDGE_MESSAGES


@pytest.fixture(scope="module")
def model() -> TrainedModel:
    return load_model(DEFAULT_MODEL_PATH)


def test_normalize_matches_reference(messages: list[tuple[str, str]]) -> None:
    mismatches = [
        (subject, body) for subject, body in messages
        if normalize_message(subject, body) != reference_normalize(subject, body)
    ]
    assert mismatches == []


def test_char_features_match_reference(messages: list[tuple[str, str]]) -> None:
    texts = [normalize_message(subject, body) for subject, body in messages]
    mismatches = [text.surface for text in texts if char_features(text) != reference_char_features(text)]
    assert mismatches == []


def test_vectorize_matches_reference_cold_and_warm(messages: list[tuple[str, str]]) -> None:
    # A freshly loaded model has empty word caches, so the first pass fills them
    # and the second reads them.
    blocks = load_model(DEFAULT_MODEL_PATH).blocks
    texts = [normalize_message(subject, body) for subject, body in messages]
    for _ in range(2):
        assert_vectors_match(blocks, texts)

    char_block = next(block for block in blocks if block.name == CHAR_BLOCK)
    assert char_block._ngram_columns.cache_info().hits > 0  # type: ignore[attr-defined]


def test_vectorize_matches_reference_with_evictions(
    messages: list[tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mailbot.classify.features.NGRAM_CACHE_SIZE", 16)
    blocks = load_model(DEFAULT_MODEL_PATH).blocks
    texts = [normalize_message(subject, body) for subject, body in messages[:200]]
    assert_vectors_match(blocks, texts)

    char_block = next(block for block in blocks if block.name == CHAR_BLOCK)
    assert char_block._ngram_columns.cache_info().currsize == 16  # type: ignore[attr-defined]


def test_classify_matches_reference(messages: list[tuple[str, str]], model: TrainedModel) -> None:
    classifier = Classifier(model)
    word_block = next(block for block in model.blocks if block.name == WORD_BLOCK)
    features = {column: feature for feature, column in word_block.vocabulary.items()}
    for _ in range(2):
        results = [classifier.classify(subject, body) for subject, body in messages]
        expected = [reference_classify(model, features, subject, body) for subject, body in messages]

        assert [result.process for result in results] == [reference[0] for reference in expected]
        confidences = np.array([result.confidence for result in results])
        np.testing.assert_allclose(confidences, [reference[1] for reference in expected],
                                   rtol=0, atol=PROBABILITY_TOLERANCE)
        assert [[process for process, _ in result.ranking] for result in results] == [
            [process for process, _ in reference[2]] for reference in expected
        ]
        np.testing.assert_allclose(
            [[share for _, share in result.ranking] for result in results],
            [[share for _, share in reference[2]] for reference in expected],
            rtol=0, atol=PROBABILITY_TOLERANCE,
        )
        assert [result.reasons for result in results] == [reference[3] for reference in expected]


def test_probabilities_match_reference(messages: list[tuple[str, str]], model: TrainedModel) -> None:
    classifier = Classifier(model)
    actual = np.array([classifier.probabilities(subject, body) for subject, body in messages])
    expected = np.array([reference_probabilities(model, subject, body) for subject, body in messages])
    np.testing.assert_allclose(actual, expected, rtol=0, atol=PROBABILITY_TOLERANCE)


def assert_vectors_match(blocks: tuple[FeatureBlock, ...], texts: list[NormalizedText]) -> None:
    for text in texts:
        columns, values = vectorize(blocks, text)
        expected_columns, expected_values = reference_vectorize(blocks, text)
        assert columns.dtype == expected_columns.dtype
        assert values.dtype == expected_values.dtype
        np.testing.assert_array_equal(columns, expected_columns, err_msg=text.surface)
        np.testing.assert_allclose(values, expected_values, rtol=0, atol=VALUE_TOLERANCE,
                                   err_msg=text.surface)


def reference_normalize(subject: str, body: str) -> NormalizedText:
    subject_text = subject.lower()
    is_reply = bool(normalize_module._REPLY_PREFIX.match(subject_text))
    subject_text = normalize_module._REPLY_PREFIX.sub("", subject_text)
    has_ticket_tag = bool(normalize_module._TICKET_TAG.search(subject_text))
    subject_text = normalize_module._TICKET_TAG.sub(" ", subject_text)

    subject_words = reference_words(reference_prepare(subject_text))
    body_words = reference_words(reference_prepare(body))
    subject_lemmas = reference_lemmas(subject_words)
    body_lemmas = reference_lemmas(body_words)
    return NormalizedText(
        lemmas=subject_lemmas + body_lemmas,
        subject_lemmas=subject_lemmas,
        surface=" ".join(subject_words + body_words),
        is_reply=is_reply,
        has_ticket_tag=has_ticket_tag,
    )


def reference_prepare(text: str) -> str:
    text = text.lower().replace("ё", "е")
    text = normalize_module._URL.sub(" urltok ", text)
    text = normalize_module._EMAIL.sub(" emailtok ", text)
    text = normalize_module._PHONE.sub(" phonetok ", text)
    text = text.replace("wi-fi", "wifi").replace("e-mail", "email")
    return normalize_module._NUMBER.sub(" numtok ", text)


def reference_words(text: str) -> tuple[str, ...]:
    return tuple(normalize_module.surface_word(token) for token in normalize_module._TOKEN.findall(text))


def reference_lemmas(words: tuple[str, ...]) -> tuple[str, ...]:
    result = []
    for word in words:
        lemma = normalize_module.lemma_of(word)
        if lemma is not None:
            result.append(lemma)
    return tuple(result)


def reference_char_features(text: NormalizedText) -> list[str]:
    features: list[str] = []
    for word in text.surface.split():
        padded = f" {word} "
        for size in (3, 4, 5):
            features.extend(padded[i : i + size] for i in range(len(padded) - size + 1))
    return features


def reference_block_vectorize(block: FeatureBlock, text: NormalizedText) -> tuple[np.ndarray, np.ndarray]:
    analyzer = {WORD_BLOCK: word_features, CHAR_BLOCK: reference_char_features}[block.name]
    counts = Counter(analyzer(text))
    columns = []
    values = []
    for feature, count in counts.items():
        column = block.vocabulary.get(feature)
        if column is None:
            continue
        columns.append(column)
        values.append((1.0 + math.log(count)) * float(block.idf[column]))

    vector = np.asarray(values, dtype=np.float64)
    norm = float(np.linalg.norm(vector))
    if norm > 0.0:
        vector = vector / norm * block.weight
    return np.asarray(columns, dtype=np.int64) + block.offset, vector


def reference_vectorize(blocks: tuple[FeatureBlock, ...], text: NormalizedText) -> tuple[np.ndarray, np.ndarray]:
    parts = [reference_block_vectorize(block, text) for block in blocks]
    return np.concatenate([part[0] for part in parts]), np.concatenate([part[1] for part in parts])


def reference_softmax(model: TrainedModel, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
    logits = model.coef[:, columns].astype(np.float64) @ values + model.intercept
    logits = logits / model.temperature
    exponents = np.exp(logits - logits.max())
    probabilities: np.ndarray = exponents / exponents.sum()
    return probabilities


def reference_probabilities(model: TrainedModel, subject: str, body: str) -> np.ndarray:
    columns, values = reference_vectorize(model.blocks, reference_normalize(subject, body))
    return reference_softmax(model, columns, values)


def reference_classify(model: TrainedModel, features: dict[int, str], subject: str, body: str) -> ReferenceResult:
    columns, values = reference_vectorize(model.blocks, reference_normalize(subject, body))
    probabilities = reference_softmax(model, columns, values)

    rule = match_rules(subject, body)
    if rule is not None:
        target = np.zeros_like(probabilities)
        target[model.labels.index(rule.label)] = 1.0
        probabilities = RULE_WEIGHT * target + (1.0 - RULE_WEIGHT) * probabilities

    best = int(np.argmax(probabilities))
    ranking = tuple(
        (process_of(model.labels[row]), float(probabilities[row]))
        for row in np.argsort(-probabilities, kind="stable")
    )
    reasons = reference_reasons(model, features, columns, values, best, rule)
    return process_of(model.labels[best]), float(probabilities[best]), ranking, reasons


def reference_reasons(
    model: TrainedModel,
    features: dict[int, str],
    columns: np.ndarray,
    values: np.ndarray,
    row: int,
    rule: RuleMatch | None,
) -> tuple[str, ...]:
    """Return the reasons the plain way. `features` maps a word block column to its feature."""
    reasons = [rule.reason] if rule is not None else []
    block = next(block for block in model.blocks if block.name == WORD_BLOCK)
    in_block = (columns >= block.offset) & (columns < block.offset + len(block.vocabulary))
    word_columns = columns[in_block]

    coef = model.coef[:, word_columns].astype(np.float64)
    support = (coef[row] - coef.mean(axis=0)) * values[in_block]
    for position in np.argsort(-support, kind="stable"):
        if support[position] <= 0 or len(reasons) >= MAX_REASON_WORDS + (rule is not None):
            break
        reason = reference_describe(features[int(word_columns[position]) - block.offset])
        if reason is not None and reason not in reasons:
            reasons.append(reason)
    return tuple(reasons) if reasons else (REASON_NONE_RU,)


def reference_describe(feature: str) -> str | None:
    if feature.startswith("flag:"):
        return None
    template = "«{word}»"
    if feature.startswith(SUBJECT_PREFIX):
        feature = feature[len(SUBJECT_PREFIX) :]
        template = "в теме: «{word}»"
    words = feature.split(BIGRAM_JOINER)
    if any(word in MASK_TOKENS for word in words) or words == ["не"]:
        return None
    return template.format(word=" ".join(words))
