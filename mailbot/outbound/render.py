"""Render the Russian mail templates in templates/ with Jinja2.

Each mail kind is a folder holding `subject.txt.j2`, `body.txt.j2` and
`body.html.j2`; the committee can edit them without touching code.
"""

from __future__ import annotations

import dataclasses
import datetime
from functools import cache
from pathlib import Path
from collections.abc import Mapping
from typing import Any

import jinja2
from babel.dates import format_date, format_datetime

from mailbot.errors import TemplateError
from mailbot.resources import TEMPLATES_DIR


@dataclasses.dataclass(frozen=True)
class RenderedMail:
    subject: str
    text: str
    html: str


def russian_date(value: datetime.date | datetime.datetime) -> str:
    """Format a date as Russians write it: «3 января 2027 г.»."""
    if isinstance(value, datetime.datetime):
        value = value.date()
    return format_date(value, "d MMMM y 'г.'", locale="ru")


def russian_datetime(value: datetime.datetime, tz: datetime.tzinfo | None = None) -> str:
    """Format a moment as «3 января 2027 г. в 09:05» in the given zone."""
    if tz is not None:
        value = value.astimezone(tz)
    return format_datetime(value, "d MMMM y 'г.' 'в' HH:mm", locale="ru")


@cache
def _environment(templates_dir: Path) -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates_dir),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default=False),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["ru_date"] = russian_date
    environment.filters["ru_datetime"] = russian_datetime
    return environment


def render_mail(kind: str, context: Mapping[str, Any], *, templates_dir: Path = TEMPLATES_DIR) -> RenderedMail:
    """Render the subject, text and HTML templates of mail `kind`."""
    environment = _environment(templates_dir)
    try:
        subject = environment.get_template(f"{kind}/subject.txt.j2").render(context)
        text = environment.get_template(f"{kind}/body.txt.j2").render(context)
        html = environment.get_template(f"{kind}/body.html.j2").render(context)
    except jinja2.TemplateError as error:
        raise TemplateError(f"template {kind!r} failed to render: {error}") from error
    return RenderedMail(subject=" ".join(subject.split()), text=text, html=html)
