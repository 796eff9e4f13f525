"""The classifier's verdict on one request."""

from __future__ import annotations

import dataclasses

from mailbot.processes import Process


@dataclasses.dataclass(frozen=True)
class Classification:
    """The process a request belongs to, with a calibrated confidence.

    `process` is None when the text is judged not to be a request at all
    (thanks, newsletters, spam, non-IT matters). `ranking` lists every label
    with its probability, best first; None in it stands for "not a request".
    `reasons` are the words or rules that drove the decision, for people.
    """

    process: Process | None
    confidence: float
    ranking: tuple[tuple[Process | None, float], ...]
    reasons: tuple[str, ...]
    model_version: str

    def to_json(self) -> dict[str, object]:
        return {
            "code": int(self.process) if self.process is not None else None,
            "confidence": round(self.confidence, 4),
        }
