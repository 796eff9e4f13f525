"""Serialised outgoing mail must stay byte for byte what stock compat32 writes.

The reference below is compose as it was before the shortcuts in
mailbot.outbound.compose: stdlib MIME classes, email.header.Header and the
unmodified compat32 policy.
"""

from __future__ import annotations

import datetime
import email
import email.policy
import email.utils
from collections.abc import Callable
from email import encoders
from email.header import Header
from email.message import EmailMessage, Message
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailbot.outbound import compose as compose_module
from mailbot.outbound.compose import (
    SMTP_POLICY,
    Envelope,
    OutgoingAttachment,
    Utf8Header,
    compose,
    make_boundary,
)
from mailbot.outbound.render import RenderedMail

STOCK_POLICY = email.policy.compat32.clone(linesep="\r\n")

CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюяАБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ"
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
PUNCTUATION = " -!*+/=?_.,:;()[]<>\"'@#%&"
LINE_BREAKS = "\t\r\n\x0b\x0c\x85\u2028"

mixed_text = st.text(alphabet=CYRILLIC + ASCII + PUNCTUATION + "«»—№€😀", max_size=300)
any_text = st.one_of(
    mixed_text,
    st.text(alphabet=CYRILLIC + ASCII + PUNCTUATION + LINE_BREAKS + "\x00\x7f", max_size=200),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=200),
    st.text(alphabet="ab =?", max_size=120),
)
address = st.from_regex(r"[a-z][a-z0-9_-]{0,15}(\.[a-z0-9_-]{1,10})?@[a-z0-9]{1,20}\.example", fullmatch=True)
message_id = st.builds("<{}@{}>".format, st.text(alphabet=ASCII + ".-", min_size=1, max_size=40), address)
attachment = st.builds(
    OutgoingAttachment,
    filename=st.text(alphabet=CYRILLIC + ASCII + " -_.()№", min_size=1, max_size=80),
    content_type=st.sampled_from(["application/pdf", "image/png", "application/octet-stream", "text/plain"]),
    content=st.binary(max_size=3000),
)
envelope = st.builds(
    Envelope,
    sender_address=address,
    sender_name=st.one_of(st.just("ИТ-служба Комитета"), mixed_text.filter(lambda name: name.strip() != "")),
    recipients=st.lists(address, min_size=1, max_size=6).map(tuple),
    in_reply_to=st.one_of(st.none(), message_id),
    references=st.lists(message_id, max_size=25).map(tuple),
    automatic=st.booleans(),
    reply_to=st.one_of(st.none(), address),
)
rendered_mail = st.builds(
    RenderedMail,
    subject=st.one_of(mixed_text, mixed_text.map(lambda text: " ".join(text.split()))),
    text=any_text,
    html=any_text,
)


def reference_compose(
    rendered: RenderedMail, envelope: Envelope, *, message_id: str, attachments: tuple[OutgoingAttachment, ...]
) -> Message:
    alternative = MIMEMultipart("alternative")
    alternative.attach(MIMEText(rendered.text, "plain", "utf-8"))
    alternative.attach(MIMEText(rendered.html, "html", "utf-8"))
    message = alternative if not attachments else MIMEMultipart("mixed")
    for item in attachments:
        if not message.get_payload():
            message.attach(alternative)
        maintype, _, subtype = item.content_type.partition("/")
        part = MIMEBase(maintype or "application", subtype or "octet-stream")
        part.set_payload(item.content)
        encoders.encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=("utf-8", "", item.filename))
        message.attach(part)
    message["From"] = email.utils.formataddr((str(Header(envelope.sender_name, "utf-8")), envelope.sender_address))
    message["To"] = ", ".join(envelope.recipients)
    message["Subject"] = Header(rendered.subject, "utf-8", header_name="Subject")  # type: ignore[assignment]
    message["Date"] = email.utils.format_datetime(datetime.datetime.now(datetime.UTC))
    message["Message-ID"] = message_id
    if envelope.in_reply_to:
        message["In-Reply-To"] = envelope.in_reply_to
    if envelope.references:
        message["References"] = " ".join(envelope.references)
    if envelope.automatic:
        message["Auto-Submitted"] = "auto-replied"
        message["X-Auto-Response-Suppress"] = "All"
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    message["X-Loop"] = envelope.sender_address
    return message


def _outcome(function: Callable[[], object]) -> object:
    """Return the value of `function`, or the type of the exception it raised."""
    try:
        return function()
    except Exception as error:  # noqa: BLE001 - the type itself is compared
        return type(error)


def _multiparts(message: Message) -> list[Message]:
    return [part for part in message.walk() if part.is_multipart()]


def _both(
    rendered: RenderedMail, envelope: Envelope, attachments: tuple[OutgoingAttachment, ...]
) -> tuple[Message, Message]:
    ours = compose(rendered, envelope, message_id="<IT-2026-00042.m1.0123456789abcdef@committee.example>",
                   attachments=attachments)
    reference = reference_compose(rendered, envelope, message_id=str(ours["Message-ID"]), attachments=attachments)
    reference.replace_header("Date", ours["Date"])
    return ours, reference


@given(
    name=st.one_of(st.sampled_from(["From", "To", "References", "Subject", "X-Auto-Response-Suppress"]),
                   st.text(alphabet=ASCII + "-", min_size=1, max_size=40)),
    value=st.one_of(any_text, st.text(alphabet=ASCII + " \t", max_size=120)),
)
@settings(max_examples=500, deadline=None)
def test_policy_folds_like_compat32(name: str, value: str) -> None:
    assert _outcome(lambda: SMTP_POLICY.fold_binary(name, value)) == _outcome(
        lambda: STOCK_POLICY.fold_binary(name, value)
    )
    assert _outcome(lambda: SMTP_POLICY.fold(name, value)) == _outcome(lambda: STOCK_POLICY.fold(name, value))


@given(
    text=any_text.filter(lambda text: text != ""),
    name=st.sampled_from(["Subject", "S", "X-A-Very-Long-Header-Name-For-Folding"]),
    maxlinelen=st.sampled_from([None, 0, 30, 40, 60, 78, 100, 998]),
    linesep=st.sampled_from(["\n", "\r\n"]),
)
@settings(max_examples=500, deadline=None)
def test_utf8_header_encodes_like_header(text: str, name: str, maxlinelen: int | None, linesep: str) -> None:
    expected = _outcome(
        lambda: Header(text, "utf-8", header_name=name).encode(maxlinelen=maxlinelen, linesep=linesep)
    )

    ours = _outcome(lambda: Utf8Header(text, header_name=name).encode(maxlinelen=maxlinelen, linesep=linesep))
    assert ours == expected


def test_utf8_header_after_append() -> None:
    ours = Utf8Header("Заявка", header_name="Subject")
    ours.append(" and more", "us-ascii")
    stock = Header("Заявка", "utf-8", header_name="Subject")
    stock.append(" and more", "us-ascii")

    assert ours.encode(linesep="\r\n") == stock.encode(linesep="\r\n")


@given(
    rendered=rendered_mail,
    envelope=envelope,
    attachments=st.lists(attachment, max_size=3).map(tuple),
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_compose_bytes_match_compat32(
    rendered: RenderedMail, envelope: Envelope, attachments: tuple[OutgoingAttachment, ...]
) -> None:
    ours, reference = _both(rendered, envelope, attachments)
    for part, boundary in zip(_multiparts(reference), [part.get_boundary() for part in _multiparts(ours)]):
        assert boundary is not None
        part.set_boundary(boundary)

    assert ours.as_bytes(policy=SMTP_POLICY) == reference.as_bytes(policy=STOCK_POLICY)


@given(
    rendered=rendered_mail,
    envelope=envelope,
    attachments=st.lists(attachment, max_size=3).map(tuple),
)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
def test_compose_parses_like_stdlib_boundary(
    rendered: RenderedMail, envelope: Envelope, attachments: tuple[OutgoingAttachment, ...]
) -> None:
    ours, reference = _both(rendered, envelope, attachments)
    parsed = email.message_from_bytes(ours.as_bytes(policy=SMTP_POLICY), policy=email.policy.default)
    expected = email.message_from_bytes(reference.as_bytes(policy=STOCK_POLICY), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    assert isinstance(expected, EmailMessage)

    assert _headers_without_boundary(parsed) == _headers_without_boundary(expected)
    assert _body_text(parsed, "plain") == _body_text(expected, "plain") == rendered.text
    assert _body_text(parsed, "html") == _body_text(expected, "html") == rendered.html
    # Both sides pass through the same stdlib parser, which strips blanks around a file name.
    assert _attachments(parsed) == _attachments(expected)
    assert [content for _, content in _attachments(parsed)] == [item.content for item in attachments]


def _headers_without_boundary(message: EmailMessage) -> list[tuple[str, str]]:
    headers = []
    for part in message.walk():
        for name, value in part.items():
            if name.lower() == "content-type":
                value = part.get_content_type()
            headers.append((name, str(value)))
    return headers


def _body_text(message: EmailMessage, subtype: str) -> str:
    body = message.get_body(preferencelist=(subtype,))
    assert isinstance(body, EmailMessage)
    content = body.get_content()
    assert isinstance(content, str)
    return content


def _attachments(message: EmailMessage) -> list[tuple[str | None, bytes]]:
    found = []
    for part in message.iter_attachments():
        assert isinstance(part, EmailMessage)
        content = part.get_payload(decode=True)
        assert isinstance(content, bytes)
        found.append((part.get_filename(), content))
    return found


def test_long_cyrillic_subject_keeps_spaces() -> None:
    subject = "[IT-2026-00042] Новая заявка: не печатает МФУ в кабинете 305 на третьем этаже, нужна помощь срочно"
    rendered = RenderedMail(subject=subject, text="Текст", html="<p>Текст</p>")
    envelope = Envelope(sender_address="helpdesk@committee.example", sender_name="ИТ-служба Комитета",
                        recipients=("m.ivanova@committee.example",))

    raw = compose(rendered, envelope, message_id="<a@committee.example>").as_bytes(policy=SMTP_POLICY)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)

    folded = raw.split(b"\r\nSubject: ", 1)[1].split(b"\r\nDate: ", 1)[0]
    assert folded.count(b"=?utf-8?b?") >= 3
    assert parsed["Subject"] == subject
    assert "МФУ в кабинете" in parsed["Subject"]


def test_nested_boundary_differs(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = iter([5, 5, 7])
    monkeypatch.setattr(compose_module.random, "randrange", lambda stop: next(tokens))
    inner = make_boundary()

    outer = make_boundary(exclude=inner)

    assert inner == "===============0000000000000000005=="
    assert outer == "===============0000000000000000007=="
