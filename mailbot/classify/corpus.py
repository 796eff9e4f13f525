"""Labelled requests in JSONL: one object per line with subject, body and process."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator
from pathlib import Path

from mailbot.processes import Process

NOT_A_REQUEST = "null"
LABELS: tuple[str, ...] = tuple(str(int(process)) for process in Process) + (NOT_A_REQUEST,)

# A staff correction is a verified label for a text that the model got wrong,
# so it counts as several corpus items.
CORRECTION_WEIGHT = 3.0


class CorpusError(ValueError):
    """A labelled file has a line that is not a valid item; `reason` says why, in Russian."""

    def __init__(self, path: Path, line: int, reason: str) -> None:
        super().__init__(f"{path}:{line}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclasses.dataclass(frozen=True)
class LabelledItem:
    """One request text with its process; None means "not a request".

    `weight` is the item's sample weight in training: staff corrections
    weigh more than corpus items.
    """

    subject: str
    body: str
    process: Process | None
    weight: float = 1.0

    @property
    def label(self) -> str:
        return label_of(self.process)


def label_of(process: Process | None) -> str:
    """Return the label string ("1".."8" or "null") for a process."""
    return NOT_A_REQUEST if process is None else str(int(process))


def process_of(label: str) -> Process | None:
    """Return the process for a label string ("1".."8" or "null")."""
    return None if label == NOT_A_REQUEST else Process(int(label))


def read_jsonl(path: Path) -> list[LabelledItem]:
    """Read a labelled JSONL file; raise CorpusError naming the bad line."""
    with path.open(encoding="utf-8") as handle:
        return list(_parse_lines(handle, path))


def read_many(paths: Iterable[Path]) -> list[LabelledItem]:
    """Read several labelled files, in the order given."""
    items: list[LabelledItem] = []
    for path in paths:
        items.extend(read_jsonl(path))
    return items


def merge_corrections(
    items: Iterable[LabelledItem], corrections: Iterable[LabelledItem]
) -> list[LabelledItem]:
    """Add staff corrections to corpus items with CORRECTION_WEIGHT.

    A correction replaces every corpus item with the same subject and body,
    and a later correction of the same text replaces an earlier one.
    """
    corrected: dict[tuple[str, str], LabelledItem] = {}
    for item in corrections:
        key = _text_key(item)
        corrected.pop(key, None)
        corrected[key] = dataclasses.replace(item, weight=CORRECTION_WEIGHT)
    kept = [item for item in items if _text_key(item) not in corrected]
    return kept + list(corrected.values())


def _text_key(item: LabelledItem) -> tuple[str, str]:
    return (" ".join(item.subject.split()).lower(), " ".join(item.body.split()).lower())


def _parse_lines(lines: Iterable[str], path: Path) -> Iterator[LabelledItem]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise CorpusError(path, number, f"строка не является JSON (ошибка в позиции {error.colno})") from error
        try:
            yield _item_from_record(record)
        except _InvalidItem as error:
            raise CorpusError(path, number, str(error)) from error


class _InvalidItem(ValueError):
    """A JSON record that is not a labelled item; the message is Russian."""


def _item_from_record(record: object) -> LabelledItem:
    if not isinstance(record, dict):
        raise _InvalidItem("строка должна быть объектом JSON в фигурных скобках")
    if "process" not in record:
        raise _InvalidItem("нет поля process")

    code = record["process"]
    valid_codes = {int(process) for process in Process}
    if code is not None and (isinstance(code, bool) or not isinstance(code, int) or code not in valid_codes):
        shown = json.dumps(code, ensure_ascii=False)
        raise _InvalidItem(f"process должен быть числом от 1 до 8 или null, а указано {shown}")

    subject = record.get("subject") or ""
    body = record.get("body") or ""
    if not isinstance(subject, str) or not isinstance(body, str):
        raise _InvalidItem("поля subject и body должны быть строками")
    return LabelledItem(subject=subject, body=body, process=None if code is None else Process(code))
