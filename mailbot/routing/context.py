"""What routing needs besides the message itself."""

from __future__ import annotations

import dataclasses
from typing import Protocol

from mailbot.classify.model import Classification
from mailbot.config import Settings
from mailbot.tickets.calendar import WorkingCalendar


class Classifier(Protocol):
    @property
    def version(self) -> str: ...

    def classify(self, subject: str, body: str) -> Classification: ...


@dataclasses.dataclass(frozen=True)
class Context:
    settings: Settings
    calendar: WorkingCalendar
    classifier: Classifier
    threshold: float = 0.0
