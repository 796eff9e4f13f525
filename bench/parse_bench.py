"""Benchmark of the MIME parse layer: throughput and peak memory.

Run from the repository root::

    .venv/bin/python bench/parse_bench.py [--messages 10000] [--runs 5]

Two corpora are parsed with `mailbot.parse.parse_message` on one thread.
The first is the quirk fixtures in tests/data/mail, parsed 50 times per
pass so that a pass is long enough to time. The second is generated
committee mail: quoted-printable text in UTF-8, windows-1251 and KOI8-R
(half of it replies with Outlook history), Outlook-style HTML-only mail,
and multipart/alternative text with a PDF attachment.
Throughput is the median of the timed passes; peak memory is measured in a
separate pass under tracemalloc (Python allocations only), next to the
process's maximum resident set size from getrusage.
"""

from __future__ import annotations

import argparse
import base64
import os
import platform
import quopri
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailbot.parse import parse_message  # noqa: E402

FIXTURE_DIR = ROOT / "tests" / "data" / "mail"
FIXTURE_REPEAT = 50

SENTENCES = [
    "Принтер в кабинете {room} не печатает, на панели горит красный индикатор.",
    "После обновления не запускается программа бухгалтерского учёта.",
    "Прошу предоставить доступ к сетевой папке отдела закупок.",
    "Не приходят уведомления из системы электронного документооборота.",
    "Срок действия сертификата электронной подписи истекает {day}.03.2026.",
    "На служебном телефоне перестала синхронизироваться почта.",
    "Прошу подготовить рабочее место для нового сотрудника.",
    "Сканер выдаёт ошибку «Устройство занято», драйвер переустанавливали.",
]
HISTORY = (
    "\r\n\r\nОт: Служба ИТ [mailto:it@committee.example]\r\nОтправлено: 12 марта 2026 г. 9:41\r\n"
    "Кому: Иванов Иван\r\nТема: [IT-2026-{number:05d}] Обращение\r\n\r\nЗдравствуйте!\r\n"
    "Ваше обращение зарегистрировано под номером IT-2026-{number:05d}.\r\n"
)


def _text(rng: random.Random) -> str:
    count = rng.randint(2, 12)
    lines = [rng.choice(SENTENCES).format(room=rng.randint(100, 499), day=rng.randint(10, 28)) for _ in range(count)]
    return "Добрый день!\r\n\r\n" + "\r\n".join(lines) + "\r\n\r\nИванов И.И.\r\n"


def _word(text: str, charset: str) -> str:
    return "=?%s?B?%s?=" % (charset, base64.b64encode(text.encode(charset, errors="replace")).decode())


def _headers(rng: random.Random, index: int, charset: str, content_type: str) -> str:
    number = rng.randint(1, 99999)
    subject = rng.choice(["RE: [IT-2026-%05d] Не печатает принтер" % number, "Заявка на доступ к папке"])
    return (
        "From: %s <user%d@committee.example>\r\nTo: it@committee.example\r\n"
        "Subject: %s\r\nDate: Thu, 12 Mar 2026 10:07:09 +0300\r\n"
        "Message-ID: <bench.%d@committee.example>\r\nMIME-Version: 1.0\r\nContent-Type: %s\r\n"
        % (_word("Иванов Иван", charset), index, _word(subject, charset), index, content_type)
    )


def _plain_message(rng: random.Random, index: int) -> bytes:
    charset = rng.choice(["utf-8", "windows-1251", "koi8-r"])
    text = _text(rng) + (HISTORY.format(number=index) if rng.random() < 0.5 else "")
    body = quopri.encodestring(text.encode(charset, errors="replace"))
    head = _headers(rng, index, charset, "text/plain; charset=%s" % charset)
    return (head + "Content-Transfer-Encoding: quoted-printable\r\n\r\n").encode() + body


def _html_message(rng: random.Random, index: int) -> bytes:
    paragraphs = "".join(
        '<p class="MsoNormal"><span style="color:#1F497D">%s</span><o:p></o:p></p>\r\n' % line
        for line in _text(rng).split("\r\n")
    )
    html = (
        "<html><head><style>p.MsoNormal {margin:0cm}</style></head><body><div class=WordSection1>%s"
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
        "<p><b>От:</b> Служба ИТ</p></div><p>История переписки</p></div></body></html>" % paragraphs
    )
    head = _headers(rng, index, "utf-8", "text/html; charset=utf-8")
    return (head + "Content-Transfer-Encoding: base64\r\n\r\n").encode() + base64.encodebytes(html.encode())


def _attachment_message(rng: random.Random, index: int) -> bytes:
    text = _text(rng).encode("utf-8")
    pdf = b"%PDF-1.4\n" + rng.randbytes(rng.randint(2_000, 60_000))
    head = _headers(rng, index, "utf-8", 'multipart/mixed; boundary="mix"')
    parts = [
        head.encode(),
        b"\r\n--mix\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n",
        b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        base64.encodebytes(text),
        b"--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>html</p>\r\n--alt--\r\n",
        b"--mix\r\nContent-Type: application/pdf; name=\"%s\"\r\n" % _word("Заявка.pdf", "utf-8").encode(),
        b"Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r\n\r\n",
        base64.encodebytes(pdf),
        b"--mix--\r\n",
    ]
    return b"".join(parts)


def generated_corpus(count: int, seed: int = 20260312) -> list[bytes]:
    """Build `count` synthetic messages: 60% plain, 25% HTML-only, 15% with a PDF."""
    rng = random.Random(seed)
    builders: list[Callable[[random.Random, int], bytes]] = []
    builders += [_plain_message] * 12 + [_html_message] * 5 + [_attachment_message] * 3
    return [rng.choice(builders)(rng, index) for index in range(count)]


def fixture_corpus() -> list[bytes]:
    return [path.read_bytes() for path in sorted(FIXTURE_DIR.glob("*.eml"))] * FIXTURE_REPEAT


def time_passes(corpus: list[bytes], runs: int) -> list[float]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        for raw in corpus:
            parse_message(raw)
        durations.append(time.perf_counter() - started)
    return durations


def traced_peak(corpus: list[bytes]) -> int:
    tracemalloc.start()
    for raw in corpus:
        parse_message(raw)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def measure(name: str, corpus: list[bytes], runs: int) -> dict[str, str]:
    for raw in corpus[:50]:
        parse_message(raw)  # warm caches and imports before timing
    median = statistics.median(time_passes(corpus, runs))
    size = sum(len(raw) for raw in corpus)
    return {
        "corpus": name,
        "messages": "{:,}".format(len(corpus)),
        "MiB": "%.1f" % (size / 2**20),
        "messages/s": "{:,.0f}".format(len(corpus) / median),
        "MiB/s": "%.1f" % (size / 2**20 / median),
        "peak traced MiB": "%.1f" % (traced_peak(corpus) / 2**20),
    }


def markdown_table(rows: list[dict[str, str]]) -> str:
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(row[column] for column in columns) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=10_000, help="size of the generated corpus")
    parser.add_argument("--runs", type=int, default=5, help="timed passes per corpus; the median is reported")
    arguments = parser.parse_args()

    rows = [
        measure("fixtures x%d" % FIXTURE_REPEAT, fixture_corpus(), arguments.runs),
        measure("generated", generated_corpus(arguments.messages), arguments.runs),
    ]
    max_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(markdown_table(rows))
    print()
    print(
        "Python %s on %s, %d CPUs visible, one thread; median of %d passes; process max RSS %.0f MiB."
        % (platform.python_version(), platform.machine(), os.cpu_count() or 0, arguments.runs, max_rss_mib)
    )


if __name__ == "__main__":
    main()
