"""Typed settings from the environment or a `service.env` file.

Every setting is named `MAILBOT_<FIELD>`; `service.env.example` documents
each one in Russian. Validation errors become one Russian message that names
the offending setting, so an operator can fix it without reading code.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import ssl
import zoneinfo
from pathlib import Path
from typing import Annotated, Literal

import pydantic
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from mailbot.env_file import ENV_PREFIX, resolve_env_file
from mailbot.errors import ConfigurationError
from mailbot.scheduler.crontab import CrontabError, crontab_trigger

Security = Literal["ssl", "starttls", "none"]
MAX_REMINDER_DAYS = 60
AddressList = Annotated[tuple[str, ...], NoDecode]

DEFAULT_PORTS = {
    "imap": {"ssl": 993, "starttls": 143, "none": 143},
    "smtp": {"ssl": 465, "starttls": 587, "none": 25},
}


class Settings(BaseSettings):
    """All of mailbot's configuration; field `x` is read from `MAILBOT_X`."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
    )

    imap_host: str = ""
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    imap_user: str = ""
    imap_password: SecretStr = SecretStr("")
    imap_security: Security = "ssl"
    imap_folder: str = "INBOX"
    imap_timeout_seconds: float = Field(default=60.0, gt=0)

    smtp_host: str = ""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)
    smtp_user: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_security: Security = "ssl"
    smtp_timeout_seconds: float = Field(default=60.0, gt=0)

    tls_ca_file: Path | None = None

    address: str = ""
    display_name: str = "ИТ-служба Комитета"
    database_url: str = ""
    storage_dir: Path = Path("storage")
    allowed_domains: AddressList = ()
    staff: AddressList = ()
    managers: AddressList = ()
    timezone: str = "Europe/Moscow"
    poll_seconds: int = Field(default=60, ge=1)
    outbox_seconds: int = Field(default=30, ge=1)
    outbox_max_attempts: int = Field(default=12, ge=1)

    ticket_prefix: str = Field(default="IT", pattern=r"^[A-Z][A-Z0-9]{0,9}$")
    answer_days: int = Field(default=30, ge=1, le=365)
    workday_end: datetime.time = datetime.time(18, 0)
    friday_end: datetime.time = datetime.time(16, 45)
    classify_threshold: float | None = Field(default=None, ge=0.0, le=1.0)

    authserv_id: str = ""
    reopen_days: int = Field(default=14, ge=0, le=365)

    reply_limits: Annotated[tuple[tuple[int, int], ...], NoDecode] = ((10, 600), (30, 3600), (100, 86400))
    outside_notice: bool = False
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    # Total size of the request's files attached to the staff new-ticket
    # mail; files beyond it are named with their path in storage. Each
    # attached megabyte costs about eight while the mail is queued.
    staff_attachment_max_bytes: int = Field(default=5 * 1024 * 1024, ge=0)
    max_mime_depth: int = Field(default=20, ge=1, le=200)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    imap_processed_folder: str = ""
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    raw_retention_days: int = Field(default=0, ge=0)

    workday_start: datetime.time = datetime.time(9, 0)
    # Working days before the due date on which the assignee is reminded.
    reminder_days: Annotated[tuple[int, ...], NoDecode] = (5, 1)
    reminder_minutes: int = Field(default=15, ge=1, le=1440)
    digest_cron: str = "0 9 * * 1"
    digest_weeks: int = Field(default=4, ge=1, le=52)

    # The survey form and the one-click rating pages.
    web_enabled: bool = False
    web_host: str = "127.0.0.1"
    web_port: int = Field(default=8080, ge=1, le=65535)
    web_base_url: str = ""
    secret_key: SecretStr = SecretStr("")
    # Days after the invitation on which those who have not answered are reminded.
    survey_reminder_days: Annotated[tuple[int, ...], NoDecode] = (7, 14)

    @field_validator("allowed_domains", "staff", "managers", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip().lower() for item in value.split(",") if item.strip())
        return value

    @field_validator("reply_limits", mode="before")
    @classmethod
    def _parse_reply_limits(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        windows = []
        for item in value.split(","):
            count, _, seconds = item.strip().partition("/")
            if not (count.strip().isdigit() and seconds.strip().isdigit()):
                raise ValueError(f"ожидаются пары «писем/секунд» через запятую, например 10/600,30/3600; «{item.strip()}» не подходит")
            windows.append((int(count), int(seconds)))
        return tuple(windows)

    @field_validator("survey_reminder_days", mode="before")
    @classmethod
    def _parse_survey_reminder_days(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        items = [item.strip() for item in value.split(",") if item.strip()]
        if not all(item.isdigit() and 0 < int(item) <= 365 for item in items):
            raise ValueError(f"ожидаются числа дней от 1 до 365 через запятую, например 7,14; получено «{value}»")
        return tuple(sorted({int(item) for item in items}))

    @field_validator("web_base_url")
    @classmethod
    def _check_web_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"ожидается адрес вида https://it.example.ru, получено «{value}»")
        return value

    @field_validator("reminder_days", mode="before")
    @classmethod
    def _parse_reminder_days(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        items = [item.strip() for item in value.split(",") if item.strip()]
        if not all(item.isdigit() and int(item) <= MAX_REMINDER_DAYS for item in items):
            raise ValueError(
                f"ожидаются числа рабочих дней от 0 до {MAX_REMINDER_DAYS} через запятую, например 5,1; "
                f"получено «{value}»"
            )
        return tuple(sorted({int(item) for item in items}, reverse=True))

    @field_validator("digest_cron")
    @classmethod
    def _check_digest_cron(cls, value: str) -> str:
        try:
            crontab_trigger(value, zoneinfo.ZoneInfo("UTC"))
        except CrontabError as error:
            raise ValueError(f"неверное расписание cron «{value}»: {error.reason_ru}") from error
        return value.strip()

    @field_validator("tls_ca_file")
    @classmethod
    def _check_ca_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"файл сертификатов «{value}» не найден")
        return value

    def tls_context(self) -> ssl.SSLContext:
        """Return the client TLS context for IMAP and SMTP, trusting MAILBOT_TLS_CA_FILE too."""
        context = ssl.create_default_context()
        if self.tls_ca_file is not None:
            context.load_verify_locations(cafile=str(self.tls_ca_file))
        return context

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise ValueError(f"неизвестный часовой пояс «{value}»") from error
        return value

    @field_validator("address")
    @classmethod
    def _check_address(cls, value: str) -> str:
        if value and "@" not in value:
            raise ValueError("ожидается адрес электронной почты вида it@example.ru")
        return value.strip().lower()

    @model_validator(mode="after")
    def _check_plaintext_only_on_loopback(self) -> Settings:
        for service in ("imap", "smtp"):
            host = getattr(self, f"{service}_host")
            if getattr(self, f"{service}_security") == "none" and host and not is_loopback(host):
                raise ValueError(
                    f"MAILBOT_{service.upper()}_SECURITY=none допускается только для "
                    f"адресов loopback (127.0.0.1, ::1, localhost), а указан «{host}»"
                )
        return self

    @model_validator(mode="after")
    def _check_workday_start(self) -> Settings:
        if self.workday_start >= min(self.workday_end, self.friday_end):
            raise ValueError(
                "MAILBOT_WORKDAY_START должно быть раньше MAILBOT_WORKDAY_END и MAILBOT_FRIDAY_END"
            )
        return self

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    @property
    def imap_port_effective(self) -> int:
        return self.imap_port or DEFAULT_PORTS["imap"][self.imap_security]

    @property
    def smtp_port_effective(self) -> int:
        return self.smtp_port or DEFAULT_PORTS["smtp"][self.smtp_security]

    @property
    def web_base_url_effective(self) -> str:
        """Return the address that links in mail point to, without a trailing slash."""
        if self.web_base_url:
            return self.web_base_url
        host = f"[{self.web_host}]" if ":" in self.web_host else self.web_host
        return f"http://{host}:{self.web_port}"

    @property
    def database_url_effective(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.storage_dir / 'mailbot.sqlite3').resolve()}"

    def missing_for_daemon(self) -> list[str]:
        """Return the names of settings the daemon cannot run without.

        An SMTP password is required only together with an SMTP user, since
        a relay inside the committee's network may take mail without login.
        """
        required = {
            "MAILBOT_IMAP_HOST": self.imap_host,
            "MAILBOT_IMAP_USER": self.imap_user,
            "MAILBOT_IMAP_PASSWORD": self.imap_password.get_secret_value(),
            "MAILBOT_SMTP_HOST": self.smtp_host,
            "MAILBOT_ADDRESS": self.address,
        }
        if self.smtp_user:
            required["MAILBOT_SMTP_PASSWORD"] = self.smtp_password.get_secret_value()
        return [name for name, value in required.items() if not value]

    @classmethod
    def env_names(cls) -> frozenset[str]:
        """Return the environment name of every setting, such as MAILBOT_IMAP_HOST."""
        return frozenset(f"{ENV_PREFIX}{name.upper()}" for name in cls.model_fields)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def load_settings(env_file: Path | None = None, **overrides: object) -> Settings:
    """Load settings from the environment and `env_file` (default `service.env`).

    Raises ConfigurationError with a Russian message naming every invalid
    setting.
    """
    env_file = resolve_env_file(env_file)
    try:
        return Settings(_env_file=env_file if env_file.exists() else None, **overrides)  # type: ignore[call-arg, arg-type]
    except pydantic.ValidationError as error:
        raise ConfigurationError(describe_validation_error(error)) from None


# Russian wording for the pydantic error types that settings can produce.
_ERROR_TEXTS_RU = {
    "int_parsing": "ожидается целое число, получено «{input}»",
    "int_type": "ожидается целое число",
    "float_parsing": "ожидается число, получено «{input}»",
    "bool_parsing": "ожидается true или false, получено «{input}»",
    "greater_than_equal": "значение должно быть не меньше {ge}",
    "greater_than": "значение должно быть больше {gt}",
    "less_than_equal": "значение должно быть не больше {le}",
    "literal_error": "допустимые значения: {expected}, получено «{input}»",
    "string_pattern_mismatch": "значение «{input}» не подходит: ожидаются заглавные латинские буквы и цифры",
    "time_parsing": "ожидается время в виде ЧЧ:ММ, получено «{input}»",
    "time_type": "ожидается время в виде ЧЧ:ММ",
}


def describe_validation_error(error: pydantic.ValidationError) -> str:
    """Render a settings validation error as Russian lines, one per setting."""
    lines = ["Ошибка в настройках:"]
    for problem in error.errors():
        location = [str(part) for part in problem["loc"]]
        name = f"MAILBOT_{location[0].upper()}" if location else ""
        lines.append(f"  {name}: {_reason_ru(problem)}" if name else f"  {_reason_ru(problem)}")
    return "\n".join(lines)


def _reason_ru(problem: ErrorDetails) -> str:
    template = _ERROR_TEXTS_RU.get(problem["type"])
    if template is None:
        return str(problem.get("msg", "")).removeprefix("Value error, ")
    context: dict[str, object] = {"input": problem.get("input", ""), **problem.get("ctx", {})}
    expected = str(context.get("expected", ""))
    context["expected"] = expected.replace(" or ", ", ")
    return template.format(**context)
