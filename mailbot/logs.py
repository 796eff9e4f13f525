"""Logging set-up: text or JSON lines carrying the ids passed in `extra`.

Call sites pass ids (ticket number, Message-ID, UID, UIDVALIDITY) through
`extra=`; the formatters append them, so every line about a message can be
found by its ids. Bodies, subjects and credentials are never passed.
"""

from __future__ import annotations

import datetime
import json
import logging
import sys

_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", (), None).__dict__.keys() | {"message", "asctime", "taskName"}
)


def record_extras(record: logging.LogRecord) -> dict[str, object]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD_ATTRIBUTES and value is not None
    }


class TextFormatter(logging.Formatter):
    """`time level logger: message key=value ...`"""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = " ".join(f"{key}={value}" for key, value in record_extras(record).items())
        return f"{line} {extras}" if extras else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the message, level, logger and ids."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({key: str(value) for key, value in record_extras(record).items()})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Write to whatever sys.stderr is at the moment of each record.

    Looking the stream up per record keeps logging working when sys.stderr
    is replaced after set-up, as pytest's output capture does.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> object:
        return sys.stderr

    @stream.setter
    def stream(self, value: object) -> None:
        pass


def configure_logging(level: str = "INFO", fmt: str = "text") -> None:
    handler = StderrHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # imapclient logs protocol lines at DEBUG; keep them out unless asked.
    logging.getLogger("imapclient").setLevel(max(logging.INFO, logging.getLevelName(level)))
    for noisy in ("alembic", "apscheduler", "mail.log", "pymap", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
