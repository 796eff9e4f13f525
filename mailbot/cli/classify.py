"""`mailbot classify`: train, score and explain the request classifier."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tabulate import tabulate

from mailbot.classify import (
    DEFAULT_THRESHOLD,
    Classifier,
    evaluate,
    load_classifier,
    merge_corrections,
    save,
    train,
)
from mailbot.classify.corpus import CorpusError, LabelledItem, process_of, read_many
from mailbot.classify.model import Classification
from mailbot.classify.model_file import DEFAULT_MODEL_PATH, ModelFileError
from mailbot.errors import MailbotError
from mailbot.os_errors import os_error_ru

DATA_DIR = Path(__file__).resolve().parent.parent / "classify" / "data"
DEFAULT_CORPORA = (DATA_DIR / "corpus.jsonl", DATA_DIR / "corpus-extra.jsonl")
PROCESS_COLUMN_WIDTH = 48
LINE_EXAMPLE = json.dumps(
    {"subject": "Не печатает принтер", "body": "Принтер в кабинете 214 не печатает.", "process": 1},
    ensure_ascii=False,
)

TABLE_HEADERS_RU = ("Процесс", "Точность", "Полнота", "F1", "Обращений")
TEXT_RU: dict[str, str] = {
    "group_help": "классификатор обращений по восьми процессам",
    "group_description": "Обучение, оценка и объяснение классификатора обращений.",
    "train_help": "обучить модель на размеченных обращениях",
    "train_description": (
        "Обучает модель на файлах JSONL (по одному обращению в строке: subject, body, process).\n"
        "Одни и те же данные и зерно дают одну и ту же модель."
    ),
    "corpus_help": "размеченный файл JSONL; можно указать несколько (по умолчанию корпус из пакета)",
    "corrections_help": "файл JSONL с исправлениями сотрудников ИТ; они заменяют обращения с тем же текстом",
    "output_help": (
        "куда записать модель (по умолчанию заменяется модель в пакете, "
        "которую служба загружает при запуске)"
    ),
    "seed_help": "зерно случайных чисел для разбиения при калибровке (по умолчанию 0)",
    "eval_help": "оценить модель на размеченном файле",
    "eval_description": "Считает macro-F1, точность и долю обращений выше порога уверенности.",
    "eval_file_help": "размеченный файл JSONL",
    "json_help": "вывести результат в JSON",
    "threshold_help": f"порог уверенности от 0 до 1 (по умолчанию {DEFAULT_THRESHOLD})",
    "model_help": "файл модели (по умолчанию модель в пакете)",
    "explain_help": "показать, к какому процессу модель относит письмо и почему",
    "explain_file_help": "письмо в формате .eml",
    "trained": "Модель {version} обучена на {items} обращениях и записана в {path}.",
    "replaced_shipped": "Модель в пакете заменена; служба начнёт её использовать после перезапуска.",
    "line_error": (
        "файл {path}, строка {line}: {reason}.\n"
        "Каждая строка файла — объект JSON с полями subject, body и process, например:\n"
        '{example}\n'
        "process — код процесса от 1 до 8 или null, если письмо не является обращением."
    ),
    "model_error": "не удалось загрузить модель: {error}",
    "read_error": "не удалось прочитать файл {path}: {error}",
    "threshold_error": "порог уверенности должен быть числом от 0 до 1, получено {value}",
    "empty_error": "в файле {path} нет ни одного обращения",
    "not_request": "не обращение (автоответ, благодарность, рассылка или письмо не об ИТ)",
    "summary": (
        "Обращений: {items}. Macro-F1: {macro_f1:.3f}. Доля верных ответов: {accuracy:.3f}.\n"
        "Порог уверенности {threshold}: ответ дан по {coverage:.1%} обращений, "
        "верных среди них {precision_covered}."
    ),
    "explain_subject": "Тема:         {subject}",
    "explain_process": "Процесс:      {process}",
    "explain_confidence": "Уверенность:  {confidence:.2f} (порог {threshold}: {verdict})",
    "above_threshold": "достаточно, заявка будет зарегистрирована по этому процессу",
    "below_threshold": "мало, будет задан уточняющий вопрос",
    "not_request_verdict": "заявка не открывается, письмо попадает в список для ИТ-службы",
    "explain_reasons": "Почему:",
    "explain_ranking": "Другие варианты:",
    "model_version": "Модель:       {version}",
}


def register(commands: Any) -> None:
    """Add the `classify` command group to an argparse subparsers object."""
    group = commands.add_parser(
        "classify", help=TEXT_RU["group_help"], description=TEXT_RU["group_description"]
    )
    subcommands = group.add_subparsers(title="команды", metavar="КОМАНДА", required=True)
    _register_train(subcommands)
    _register_eval(subcommands)
    _register_explain(subcommands)


def _register_train(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "train", help=TEXT_RU["train_help"], description=TEXT_RU["train_description"]
    )
    parser.add_argument("--corpus", type=Path, nargs="+", action="extend", metavar="ФАЙЛ",
                        help=TEXT_RU["corpus_help"])
    parser.add_argument("--corrections", type=Path, metavar="ФАЙЛ", help=TEXT_RU["corrections_help"])
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_PATH, metavar="ПУТЬ",
                        help=TEXT_RU["output_help"])
    parser.add_argument("--seed", type=int, default=0, metavar="N", help=TEXT_RU["seed_help"])
    parser.set_defaults(handler=handle_train)


def _register_eval(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "eval", help=TEXT_RU["eval_help"], description=TEXT_RU["eval_description"]
    )
    parser.add_argument("file", type=Path, metavar="ФАЙЛ.jsonl", help=TEXT_RU["eval_file_help"])
    parser.add_argument("--json", action="store_true", help=TEXT_RU["json_help"])
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD, metavar="X",
                        help=TEXT_RU["threshold_help"])
    parser.add_argument("--model", type=Path, metavar="ПУТЬ", help=TEXT_RU["model_help"])
    parser.set_defaults(handler=handle_eval)


def _register_explain(subcommands: Any) -> None:
    parser = subcommands.add_parser(
        "explain", help=TEXT_RU["explain_help"], description=TEXT_RU["explain_help"].capitalize() + "."
    )
    parser.add_argument("file", type=Path, metavar="ФАЙЛ.eml", help=TEXT_RU["explain_file_help"])
    parser.add_argument("--model", type=Path, metavar="ПУТЬ", help=TEXT_RU["model_help"])
    parser.set_defaults(handler=handle_explain)


def handle_train(args: argparse.Namespace) -> int:
    """Train on the corpus files plus corrections and write the model file."""
    items = _read_items(args.corpus or list(DEFAULT_CORPORA))
    if args.corrections is not None:
        items = merge_corrections(items, _read_items([args.corrections]))
    model = train(items, seed=args.seed)
    save(model, args.output)
    print(TEXT_RU["trained"].format(version=model.version, items=model.training_items, path=args.output))
    if args.output.resolve() == DEFAULT_MODEL_PATH:
        print(TEXT_RU["replaced_shipped"])
    return 0


def handle_eval(args: argparse.Namespace) -> int:
    """Score the model on a labelled file and print a table or JSON."""
    if not 0.0 <= args.threshold <= 1.0:
        raise MailbotError(TEXT_RU["threshold_error"].format(value=args.threshold))
    items = _read_items([args.file])
    if not items:
        raise MailbotError(TEXT_RU["empty_error"].format(path=args.file))

    classifier = _load(args.model)
    result = evaluate(classifier, items, threshold=args.threshold)
    result["model_version"] = classifier.version
    if args.json:
        json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        print(format_report(result))
    return 0


def handle_explain(args: argparse.Namespace) -> int:
    """Classify one .eml file and print the process, confidence and reasons in Russian."""
    from mailbot.parse import parse_message

    try:
        raw = args.file.read_bytes()
    except OSError as error:
        raise MailbotError(TEXT_RU["read_error"].format(path=args.file, error=os_error_ru(error))) from error
    parsed = parse_message(raw)
    result = _load(args.model).classify(parsed.subject, parsed.reply_text)
    print(format_explanation(parsed.subject, result, DEFAULT_THRESHOLD))
    return 0


def format_report(result: dict[str, Any]) -> str:
    """Return the readable Russian summary and per-process table of an evaluation."""
    precision = result["precision_covered"]
    summary = TEXT_RU["summary"].format(
        items=result["items"], macro_f1=result["macro_f1"], accuracy=result["accuracy"],
        threshold=result["threshold"], coverage=result["coverage"],
        precision_covered="—" if precision is None else f"{precision:.1%}",
    )
    rows = []
    for label, scores in result["per_process"].items():
        rows.append([_process_name(label), f"{scores['precision']:.3f}", f"{scores['recall']:.3f}",
                     f"{scores['f1']:.3f}", scores["support"]])
    table = tabulate(
        rows, headers=TABLE_HEADERS_RU, tablefmt="simple", disable_numparse=True,
        maxcolwidths=[PROCESS_COLUMN_WIDTH, None, None, None, None],
    )
    return f"{summary}\n\n{table}"


def format_explanation(subject: str, result: Classification, threshold: float) -> str:
    """Return the Russian explanation of one classification."""
    if result.process is None:
        verdict = TEXT_RU["not_request_verdict"]
    elif result.confidence >= threshold:
        verdict = TEXT_RU["above_threshold"]
    else:
        verdict = TEXT_RU["below_threshold"]
    lines = [
        TEXT_RU["explain_subject"].format(subject=subject or "—"),
        TEXT_RU["explain_process"].format(process=_describe_process(result.process)),
        TEXT_RU["explain_confidence"].format(
            confidence=result.confidence, threshold=threshold, verdict=verdict
        ),
        TEXT_RU["explain_reasons"],
    ]
    lines.extend(f"  • {reason}" for reason in result.reasons)
    lines.append(TEXT_RU["explain_ranking"])
    lines.extend(
        f"  {probability:.2f}  {_describe_process(process)}" for process, probability in result.ranking[1:4]
    )
    lines.append(TEXT_RU["model_version"].format(version=result.model_version))
    return "\n".join(lines)


def _describe_process(process: Any) -> str:
    if process is None:
        return TEXT_RU["not_request"]
    return f"{int(process)} — {process.title_ru}"


def _process_name(label: str) -> str:
    process = process_of(label)
    if process is None:
        return "не обращение"
    return f"{label}. {process.title_ru}"


def _read_items(paths: list[Path]) -> list[LabelledItem]:
    try:
        return read_many(paths)
    except OSError as error:
        raise MailbotError(TEXT_RU["read_error"].format(path=error.filename, error=os_error_ru(error))) from error
    except CorpusError as error:
        raise MailbotError(
            TEXT_RU["line_error"].format(path=error.path, line=error.line, reason=error.reason, example=LINE_EXAMPLE)
        ) from error


def _load(path: Path | None) -> Classifier:
    try:
        return load_classifier(path)
    except ModelFileError as error:
        raise MailbotError(TEXT_RU["model_error"].format(error=error)) from error
