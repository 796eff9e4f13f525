"""Reading employee lists exported from Excel: encodings, delimiters, header names and bad rows."""

from __future__ import annotations

import errno
import os
import re
from pathlib import Path

import pytest

from mailbot.config import Settings, load_settings
from mailbot.survey.csvfile import CsvFileError, decode_csv, detect_delimiter, parse_csv
from mailbot.os_errors import OS_ERROR_REASONS_RU, os_error_ru
from mailbot.survey.recipients import read_employees

NO_ENV_FILE = Path("/nonexistent/service.env")
IT_ADDRESS = "it@committee.example"
STAFF = "admin.it@committee.example"

EMPLOYEES = (
    "email;ФИО\r\n"
    "ivanova@committee.example;Иванова Мария Викторовна\r\n"
    "Petrov@Committee.Example;Петров Пётр Петрович\r\n"
)


@pytest.fixture
def settings() -> Settings:
    return load_settings(NO_ENV_FILE, address=IT_ADDRESS, staff=STAFF, allowed_domains="committee.example")


def write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "employees.csv"
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (b"\xef\xbb\xbf" + EMPLOYEES.encode("utf-8"), "utf-8-sig"),
        (EMPLOYEES.encode("utf-8"), "utf-8"),
        (EMPLOYEES.encode("cp1251"), "cp1251"),
    ],
    ids=["utf8-bom", "utf8", "cp1251"],
)
def test_decode_csv_encodings(data: bytes, encoding: str) -> None:
    text, detected = decode_csv(data)
    assert detected == encoding
    assert text == EMPLOYEES


@pytest.mark.parametrize(("text", "delimiter"), [(EMPLOYEES, ";"), (EMPLOYEES.replace(";", ","), ",")])
def test_detect_delimiter(text: str, delimiter: str) -> None:
    assert detect_delimiter(text) == delimiter


def test_single_column_file_is_read() -> None:
    table = parse_csv("Почта\nivanova@committee.example\n".encode("cp1251"))
    assert table.header == ["Почта"]
    assert [row.cells for row in table.rows] == [{"Почта": "ivanova@committee.example"}]


def test_line_numbers_survive_quoted_newline() -> None:
    data = 'email,name\n"a@committee.example","Иванова\nМария"\n\nb@committee.example,Петров\n'.encode()
    table = parse_csv(data)
    assert [row.line for row in table.rows] == [2, 5]


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "cp1251"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_read_employees_formats(tmp_path: Path, settings: Settings, encoding: str, delimiter: str) -> None:
    path = write(tmp_path, EMPLOYEES.replace(";", delimiter).encode(encoding))
    employees = read_employees(path, settings)
    assert employees.problems == []
    assert [(person.address, person.name) for person in employees.invitees] == [
        ("ivanova@committee.example", "Иванова Мария Викторовна"),
        ("petrov@committee.example", "Петров Пётр Петрович"),
    ]


@pytest.mark.parametrize(
    ("header", "name"),
    [("E-mail;Имя", "Мария"), ("Адрес;name", "Мария"), ("«Почта»;Ф.И.О.", "Мария"), ("Электронная почта;Должность", "")],
)
def test_read_employees_header_names(tmp_path: Path, settings: Settings, header: str, name: str) -> None:
    path = write(tmp_path, f"{header}\r\nivanova@committee.example;Мария\r\n".encode("cp1251"))
    [person] = read_employees(path, settings).invitees
    assert person.address == "ivanova@committee.example"
    assert person.name == name


def test_read_employees_without_address_column(tmp_path: Path, settings: Settings) -> None:
    path = write(tmp_path, "ФИО;Отдел\r\nИванова;Кадры\r\n".encode("cp1251"))
    with pytest.raises(CsvFileError, match="нет столбца с адресом"):
        read_employees(path, settings)


def test_read_employees_missing_file(tmp_path: Path, settings: Settings) -> None:
    with pytest.raises(CsvFileError, match="Не удалось прочитать файл"):
        read_employees(tmp_path / "absent.csv", settings)


def test_read_employees_skips_bad_rows(tmp_path: Path, settings: Settings) -> None:
    rows = [
        "email;ФИО",
        "ivanova@committee.example;Иванова Мария Викторовна",  # 2: kept
        ";Без адреса",  # 3
        "не адрес;Сидоров",  # 4
        "friend@gmail.com;Посторонний",  # 5
        f"{STAFF};Сотрудник ИТ",  # 6
        f"{IT_ADDRESS};Ящик ИТ",  # 7
        "IVANOVA@committee.example;Дубль",  # 8
        "Козлова Анна <kozlova@committee.example>;",  # 9: kept, name from the cell
    ]
    path = write(tmp_path, "\r\n".join(rows).encode("cp1251"))
    employees = read_employees(path, settings)

    assert [(person.address, person.name) for person in employees.invitees] == [
        ("ivanova@committee.example", "Иванова Мария Викторовна"),
        ("kozlova@committee.example", "Козлова Анна"),
    ]
    assert len(employees.problems) == 6
    assert employees.problems[0] == "строка 3: не указан адрес, строка пропущена"
    assert employees.problems[1].startswith("строка 4: «не адрес» не похоже на адрес")
    assert employees.problems[2].startswith("строка 5: friend@gmail.com не приглашается: домен")
    assert employees.problems[3].startswith(f"строка 6: {STAFF} не приглашается")
    assert "MAILBOT_STAFF" in employees.problems[3]
    assert employees.problems[4].startswith(f"строка 7: {IT_ADDRESS} не приглашается")
    assert "MAILBOT_ADDRESS" in employees.problems[4]
    assert employees.problems[5] == "строка 8: адрес ivanova@committee.example уже есть в строке 2, строка пропущена"


def test_read_employees_without_domain_limit(tmp_path: Path) -> None:
    settings = load_settings(NO_ENV_FILE, address=IT_ADDRESS)
    path = write(tmp_path, b"email\nfriend@gmail.com\n")
    employees = read_employees(path, settings)
    assert employees.problems == []
    assert [person.address for person in employees.invitees] == ["friend@gmail.com"]


@pytest.mark.parametrize(
    "code",
    [errno.ENOENT, errno.EACCES, errno.EISDIR, errno.ENOTDIR, errno.ENOSPC, errno.EADDRINUSE, errno.EADDRNOTAVAIL],
)
def test_os_error_reason_russian(code: int) -> None:
    reason = os_error_ru(OSError(code, os.strerror(code)))

    assert reason == OS_ERROR_REASONS_RU[code]
    assert not re.search("[A-Za-z]", reason)


def test_os_error_reason_unmapped_named() -> None:
    assert os_error_ru(OSError(errno.ENOMEM, "Cannot allocate memory")) == "ошибка операционной системы (ENOMEM)"
    assert os_error_ru(OSError("no errno")) == "ошибка операционной системы (без кода)"


def test_employee_list_directory_in_russian(settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(CsvFileError) as raised:
        read_employees(tmp_path, settings)

    assert str(raised.value) == f"Не удалось прочитать файл «{tmp_path}»: указана папка, а нужен файл."
