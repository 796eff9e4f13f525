"""Benchmark of the request classifier: cross-validated quality, speed and size.

Run from the repository root::

    .venv/bin/python bench/classify_bench.py [--corpus FILE ...] [--folds 5]

Quality is measured by stratified k-fold cross-validation: the model is
trained on k-1 folds and scored on the held-out fold, and the held-out
predictions of all folds are pooled. The "dev" figures score only the items
of the first corpus file, while every other corpus file stays in training,
so hand-written extra items never count as test items there.
Speed is measured with the shipped model on one thread.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

# One core: pin the numerical libraries before numpy is imported.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

import numpy as np  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.classify import DEFAULT_THRESHOLD, load_classifier, normalize, train  # noqa: E402
from mailbot.classify.classifier import Classifier  # noqa: E402
from mailbot.classify.corpus import LabelledItem, label_of, read_jsonl  # noqa: E402
from mailbot.classify.evaluate import score  # noqa: E402
from mailbot.classify.model_file import DEFAULT_MODEL_PATH  # noqa: E402

DATA = ROOT / "mailbot" / "classify" / "data"
DEFAULT_CORPORA = (DATA / "corpus.jsonl", DATA / "corpus-extra.jsonl")
SWEEP = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)
TARGET_PRECISION = 0.95


def cross_validate(
    test_pool: list[LabelledItem], train_only: list[LabelledItem], folds: int, seed: int
) -> tuple[list[str], list[str], list[float]]:
    """Return pooled held-out truth, predictions and confidences over `test_pool`."""
    labels = [item.label for item in test_pool]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    truth: list[str] = []
    predicted: list[str] = []
    confidences: list[float] = []
    for fold, (train_rows, test_rows) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        started = time.perf_counter()
        training = [test_pool[row] for row in train_rows] + train_only
        classifier = Classifier(train(training, seed=seed))
        for row in test_rows:
            item = test_pool[row]
            result = classifier.classify(item.subject, item.body)
            truth.append(item.label)
            predicted.append(label_of(result.process))
            confidences.append(result.confidence)
        print(f"  fold {fold + 1}/{folds}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return truth, predicted, confidences


def threshold_sweep(truth: list[str], predicted: list[str], confidences: list[float]) -> list[dict[str, Any]]:
    """Return coverage and covered precision at each threshold of SWEEP."""
    rows = []
    for threshold in SWEEP:
        result = score(truth, predicted, confidences, threshold=threshold)
        rows.append({"threshold": threshold, "coverage": result["coverage"],
                     "precision_covered": result["precision_covered"]})
    return rows


def best_coverage_at_precision(
    truth: list[str], predicted: list[str], confidences: list[float], precision: float
) -> dict[str, float] | None:
    """Return the lowest confidence cut whose covered precision reaches `precision`."""
    order = np.argsort(-np.asarray(confidences), kind="stable")
    correct = np.asarray([truth[row] == predicted[row] for row in order], dtype=float)
    running = np.cumsum(correct) / np.arange(1, len(correct) + 1)
    reaching = np.nonzero(running >= precision)[0]
    if len(reaching) == 0:
        return None
    last = int(reaching[-1])
    return {"threshold": float(confidences[order[last]]),
            "coverage": (last + 1) / len(correct), "precision_covered": float(running[last])}


def measure_latency(classifier: Classifier, items: list[LabelledItem]) -> dict[str, float]:
    """Return median and p95 milliseconds per message, after one warm-up pass."""
    for item in items:
        classifier.classify(item.subject, item.body)
    timings = []
    for item in items:
        started = time.perf_counter()
        classifier.classify(item.subject, item.body)
        timings.append((time.perf_counter() - started) * 1000.0)
    return {"median_ms": statistics.median(timings), "p95_ms": float(np.percentile(timings, 95))}


def measure_uncached_latency(classifier: Classifier, items: list[LabelledItem]) -> dict[str, float]:
    """Return median and p95 milliseconds per message with the word caches emptied each time."""
    timings = []
    for item in items:
        for cached in (normalize.lemma_of, normalize.fold_lookalikes, normalize.surface_word):
            cached.cache_clear()
        started = time.perf_counter()
        classifier.classify(item.subject, item.body)
        timings.append((time.perf_counter() - started) * 1000.0)
    return {"median_ms": statistics.median(timings), "p95_ms": float(np.percentile(timings, 95))}


def measure_load_seconds() -> float:
    """Return the seconds a fresh interpreter spends importing and loading the model."""
    code = (
        "import time; started = time.perf_counter();"
        "from mailbot.classify import load_classifier; load_classifier();"
        "print(time.perf_counter() - started)"
    )
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    return float(output.strip())


def summarize(name: str, truth: list[str], predicted: list[str], confidences: list[float]) -> dict[str, Any]:
    result = score(truth, predicted, confidences, threshold=DEFAULT_THRESHOLD)
    result["sweep"] = threshold_sweep(truth, predicted, confidences)
    result["best_at_target"] = best_coverage_at_precision(truth, predicted, confidences, TARGET_PRECISION)
    print(f"{name}: macro_f1={result['macro_f1']:.3f} accuracy={result['accuracy']:.3f} "
          f"coverage={result['coverage']:.3f} precision_covered={result['precision_covered']} "
          f"at {DEFAULT_THRESHOLD}; best at {TARGET_PRECISION}: {result['best_at_target']}")
    for row in result["sweep"]:
        print(f"  t={row['threshold']:.2f} coverage={row['coverage']:.3f} "
              f"precision={row['precision_covered']}")
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, nargs="+", default=list(DEFAULT_CORPORA))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=ROOT / "bench" / "out" / "classify.json")
    args = parser.parse_args()

    corpora = [read_jsonl(path) for path in args.corpus]
    everything = [item for corpus in corpora for item in corpus]
    report: dict[str, Any] = {"machine": f"{platform.processor() or platform.machine()}, "
                              f"{os.cpu_count()} cores, Python {platform.python_version()}",
                              "corpora": {str(path): len(items) for path, items in zip(args.corpus, corpora)}}

    print("cross-validation over all corpus files", file=sys.stderr)
    report["cv_all"] = summarize("all", *cross_validate(everything, [], args.folds, args.seed))
    if len(corpora) > 1:
        print("cross-validation scoring the first corpus file only", file=sys.stderr)
        pooled = cross_validate(corpora[0], everything[len(corpora[0]):], args.folds, args.seed)
        report["cv_dev"] = summarize("dev", *pooled)

    classifier = load_classifier()
    report["latency_uncached"] = measure_uncached_latency(classifier, everything)
    report["latency"] = measure_latency(classifier, everything)
    report["load_seconds"] = measure_load_seconds()
    report["model_bytes"] = DEFAULT_MODEL_PATH.stat().st_size
    print(json.dumps({key: report[key] for key in ("latency", "latency_uncached", "load_seconds", "model_bytes", "machine")},
                     indent=2))

    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
