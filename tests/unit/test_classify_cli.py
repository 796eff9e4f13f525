"""`mailbot classify` subcommands through a fresh argparse parser."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from mailbot.cli import classify
from mailbot.errors import MailbotError
from mailbot.processes import Process

CORPUS = Path(__file__).resolve().parents[2] / "mailbot" / "classify" / "data" / "corpus.jsonl"

EML = """\
From: Ivanova <ivanova@committee.example>
To: it@committee.example
Subject: =?utf-8?b?0KDRg9GC0L7QutC10L0=?=
Message-ID: <explain-1@committee.example>
Date: Mon, 13 Oct 2025 10:00:00 +0300
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Добрый день! Через неделю истекает мой сертификат ЭП на Рутокене, помогите продлить.
"""


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="mailbot")
    classify.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    return int(args.handler(args))


def write_jsonl(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), "utf-8")
    return path


def test_explain_prints_russian(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = tmp_path / "request.eml"
    message.write_bytes(EML.encode("utf-8"))

    assert run(["classify", "explain", str(message)]) == 0
    output = capsys.readouterr().out
    assert "Процесс:" in output
    assert Process.SIGNATURE_CERTIFICATES.title_ru in output
    assert "Уверенность:" in output
    assert "«рутокен»" in output


def test_eval_json_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = CORPUS.read_text("utf-8").splitlines()[:30]
    sample = write_jsonl(tmp_path / "sample.jsonl", [json.loads(line) for line in lines])

    assert run(["classify", "eval", str(sample), "--json", "--threshold", "0.6"]) == 0
    result = json.loads(capsys.readouterr().out)
    for key in ("macro_f1", "accuracy", "coverage", "precision_covered", "per_process"):
        assert key in result
    assert result["items"] == 30
    assert result["threshold"] == 0.6
    assert set(result["per_process"]) == {"1", "2", "3", "4", "5", "6", "7", "8", "null"}


def test_eval_table_is_russian(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample = write_jsonl(tmp_path / "one.jsonl", [{"subject": "", "body": "принтер не печатает", "process": 1}])
    assert run(["classify", "eval", str(sample)]) == 0
    output = capsys.readouterr().out
    assert "Macro-F1" in output
    assert "Полнота" in output
    assert Process.HARDWARE.title_ru.split()[0] in output


def test_train_with_corrections(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]
    small = write_jsonl(tmp_path / "small.jsonl", [record for record in records if record["process"] in (1, 2)][:40])
    correction = {"subject": "Колонки", "body": "Не работают колонки, звука нет", "process": 2}
    corrections = write_jsonl(tmp_path / "corrections.jsonl", [correction])
    output = tmp_path / "model.joblib"

    argv = ["classify", "train", "--corpus", str(small), "--corrections", str(corrections), "--output", str(output)]
    assert run(argv) == 0
    out = capsys.readouterr().out
    assert "обучена на 41 обращениях" in out
    assert "Модель в пакете заменена" not in out, "a model written elsewhere leaves the shipped one alone"

    from mailbot.classify import load_classifier

    result = load_classifier(output).classify(correction["subject"], correction["body"])
    assert result.process is Process.INFORMATION_REQUEST


def test_train_default_output_says_replaced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default output is the package's model, so the test points that default at tmp_path.
    shipped = tmp_path / "package" / "model.joblib"
    shipped.parent.mkdir()
    monkeypatch.setattr(classify, "DEFAULT_MODEL_PATH", shipped)
    records = [json.loads(line) for line in CORPUS.read_text("utf-8").splitlines()]
    small = write_jsonl(tmp_path / "small.jsonl", [record for record in records if record["process"] in (1, 2)][:40])

    assert run(["classify", "train", "--corpus", str(small)]) == 0
    out = capsys.readouterr().out
    assert f"записана в {shipped}" in out
    assert "Модель в пакете заменена; служба начнёт её использовать после перезапуска." in out
    assert shipped.exists()


def test_missing_file_reports_russian(tmp_path: Path) -> None:
    with pytest.raises(MailbotError, match="не удалось прочитать файл"):
        run(["classify", "eval", str(tmp_path / "absent.jsonl")])


def test_invalid_line_reports_russian(tmp_path: Path) -> None:
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"subject": "", "body": "x", "process": 12}\n', "utf-8")
    with pytest.raises(MailbotError) as raised:
        run(["classify", "eval", str(broken)])
    message = str(raised.value)
    assert f"файл {broken}, строка 1: process должен быть числом от 1 до 8 или null, а указано 12" in message
    assert '"process": 1}' in message, "the error shows a valid line"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("not json at all", "строка не является JSON (ошибка в позиции 1)"),
        ('{"subject": "a", "body": "b", "process": "шесть"}', 'а указано "шесть"'),
        ('{"subject": "a", "body": "b", "process": true}', "а указано true"),
        ('{"subject": "a", "body": "b"}', "нет поля process"),
        ('["a", "b", 1]', "строка должна быть объектом JSON"),
        ('{"subject": 5, "body": "b", "process": 1}', "поля subject и body должны быть строками"),
    ],
)
def test_invalid_line_names_file_line_reason(tmp_path: Path, line: str, reason: str) -> None:
    valid = json.dumps({"subject": "Принтер", "body": "не печатает", "process": 1}, ensure_ascii=False)
    labelled = tmp_path / "ev.jsonl"
    labelled.write_text(f"{valid}\n\n{line}\n", "utf-8")
    with pytest.raises(MailbotError) as raised:
        run(["classify", "eval", str(labelled)])
    message = str(raised.value)
    assert message.startswith(f"файл {labelled}, строка 3: "), message
    assert reason in message
    assert "invalid item" not in message, "the English parser text is not shown"


def test_train_invalid_corrections_line_russian(tmp_path: Path) -> None:
    corrections = tmp_path / "corrections.jsonl"
    corrections.write_text('{"subject": "a", "body": "b", "process": 0}\n', "utf-8")
    with pytest.raises(MailbotError, match=r"строка 1: process должен быть числом от 1 до 8"):
        run(["classify", "train", "--corrections", str(corrections), "--output", str(tmp_path / "m.joblib")])


def test_bad_model_reports_russian(tmp_path: Path) -> None:
    sample = write_jsonl(tmp_path / "one.jsonl", [{"subject": "", "body": "принтер", "process": 1}])
    fake = tmp_path / "fake.joblib"
    fake.write_bytes(b"not a model")
    with pytest.raises(MailbotError, match="не удалось загрузить модель"):
        run(["classify", "eval", str(sample), "--model", str(fake)])
