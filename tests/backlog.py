"""Varied Russian mail for the crash, restart and benchmark runs.

Each message reuses one of the demo samples (their client, charset, transfer
encoding and HTML mode) with a different sender, subject suffix, body line
and Message-ID, so a backlog of thousands of messages has no two equal
bodies. About one in twelve messages is an auto-reply and one in twenty is
from outside the allowed domains: both are recorded without a ticket.
"""

from __future__ import annotations

import dataclasses
import random
from datetime import datetime, timedelta

from mailbot.demo.mime_builder import Attachment, MailSpec, build_message
from mailbot.demo.samples import _SAMPLES, IT_MAILBOX, MOSCOW, _Sample

SURNAMES = (
    "Иванова", "Петров", "Смирнова", "Кузнецов", "Соколова", "Попов", "Лебедева", "Козлов",
    "Новикова", "Морозов", "Волкова", "Соловьёв", "Васильева", "Зайцев", "Павлова", "Семёнов",
)
ROOMS = ("101", "108", "214", "305", "312", "407", "410", "518")
EXTRA_LINES = (
    "Кабинет {room}, внутренний телефон 2-{phone}.",
    "Прошу помочь сегодня, если получится: {room} кабинет, тел. 2-{phone}.",
    "Буду на месте до 18:00, кабинет {room}.",
    "Заранее спасибо! Телефон для связи 2-{phone}.",
)
AUTO_REPLY_HEADERS = (("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes"))


@dataclasses.dataclass(frozen=True)
class BacklogMail:
    """One generated message and what the daemon should make of it."""

    raw: bytes
    message_id: str
    kind: str  # "request", "auto_reply" or "outside"


def backlog(count: int, *, seed: int = 1, start: datetime | None = None) -> list[BacklogMail]:
    """Build `count` distinct messages; the same arguments give the same bytes."""
    rng = random.Random(seed)
    first = start or datetime(2026, 12, 1, 9, 0, tzinfo=MOSCOW)
    requests = [
        sample for sample in _SAMPLES
        if sample.expected_process is not None and sample.spec.sender_address.endswith("@committee.example")
    ]
    return [_one(rng, requests, index, first + timedelta(seconds=37 * index), seed) for index in range(count)]


def _one(rng: random.Random, requests: list[_Sample], index: int, sent_at: datetime, seed: int) -> BacklogMail:
    sample = rng.choice(requests)
    spec: MailSpec = sample.spec
    kind = "request"
    surname = rng.choice(SURNAMES)
    address = f"user{index % 97}.{rng.randrange(1000)}@committee.example"
    headers: tuple[tuple[str, str], ...] = ()
    if index % 12 == 5:
        kind = "auto_reply"
        headers = AUTO_REPLY_HEADERS
    elif index % 20 == 7:
        kind = "outside"
        address = f"sales{index}@vendor-{index % 5}.example"
    line = rng.choice(EXTRA_LINES).format(room=rng.choice(ROOMS), phone=rng.randrange(10, 99))
    varied = dataclasses.replace(
        spec,
        sender_name=f"{surname} {spec.sender_name.split()[-1]}",
        sender_address=address,
        subject=f"{spec.subject} (обр. {index + 1})" if kind != "auto_reply" else f"Автоматический ответ: {spec.subject}",
        text=f"{spec.text}\n\n{line}\nОбращение {index + 1}.",
        extra_headers=spec.extra_headers + headers,
    )
    raw = build_message(varied, to=IT_MAILBOX, sent_at=sent_at, seed=f"backlog-{seed}-{index}")
    return BacklogMail(raw=raw, message_id=_message_id(raw), kind=kind)


def big_attachment_mail(index: int, size: int) -> BacklogMail:
    """A request carrying one `size`-byte PDF-like attachment."""
    spec = _SAMPLES[0].spec
    payload = random.Random(index).randbytes(size)
    varied = dataclasses.replace(
        spec,
        subject=f"Скан документов для отдела ИТ (обр. {index})",
        text=f"{spec.text}\n\nСкан во вложении, обращение {index}.",
        attachment=Attachment("скан_документов.pdf", "application/pdf", payload),
    )
    raw = build_message(varied, to=IT_MAILBOX, sent_at=datetime(2026, 12, 1, 9, 0, tzinfo=MOSCOW),
                        seed=f"big-{index}")
    return BacklogMail(raw=raw, message_id=_message_id(raw), kind="request")


def _message_id(raw: bytes) -> str:
    for line in raw.split(b"\r\n"):
        if line.lower().startswith(b"message-id:"):
            return line.split(b":", 1)[1].strip().decode("ascii")
    raise ValueError("generated message has no Message-ID")
