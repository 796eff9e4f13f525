"""Read-only views of tickets for the command line and JSON consumers."""

from __future__ import annotations

import datetime
from typing import Any

from mailbot.db.models import Channel, ThreadEntry, Ticket, TicketFeedback, TicketStatus

STATUS_RU = {
    TicketStatus.OPEN: "в работе",
    TicketStatus.CLARIFICATION: "уточнение",
    TicketStatus.ANSWERED: "дан ответ",
    TicketStatus.CLOSED: "закрыта",
}
CHANNEL_RU = {
    Channel.EMAIL: "письменно",
    Channel.PHONE: "по телефону",
    Channel.IN_PERSON: "лично",
}
ENTRY_KIND_RU = {
    "request": "обращение",
    "reply": "ответ заявителя",
    "staff_message": "письмо сотрудника ИТ",
    "acknowledgement": "подтверждение регистрации",
    "clarification": "уточняющий вопрос",
    "status": "смена статуса",
    "process_set": "процесс определён",
    "auto_reply": "автоответ",
    "bounce": "отчёт о недоставке",
    "receipt": "уведомление о прочтении",
    "staff_new_ticket": "уведомление ИТ-службе о заявке",
    "staff_reply_notice": "уведомление ИТ-службе об ответе заявителя",
    "assigned": "назначен исполнитель",
    "answer": "ответ заявителю",
    "question": "вопрос заявителю",
    "closing": "ответ при закрытии",
    "note": "внутренняя заметка",
    "due_set": "срок изменён",
    "command_error": "ошибка в команде",
    "oral_request": "устное обращение",
    "reminder": "напоминание о сроке",
    "command_help": "список команд сотруднику",
    "quarantine_notice": "уведомление о карантине",
    "outside_notice": "уведомление постороннему отправителю",
    "delivery_failed": "уведомление о недоставке",
    "digest": "еженедельная сводка",
    "acknowledgement_suppressed": "подтверждение не отправлено (превышен лимит)",
    "clarification_suppressed": "уточнение не отправлено (превышен лимит)",
    "rating": "оценка заявителя письмом",
    "feedback": "оценка ответа",
    "staff_low_rating": "уведомление ИТ-службе о низкой оценке",
    "survey_invitation": "приглашение к анкетированию",
    "survey_reminder": "напоминание об анкетировании",
}


def describe_status_change(text: str) -> str:
    """Render a stored status change such as "open -> answered" in Russian."""
    old, _, new = text.partition(" -> ")
    try:
        return f"{STATUS_RU[TicketStatus(old)]} → {STATUS_RU[TicketStatus(new)]}"
    except ValueError:
        return text


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "number": ticket.number,
        "process": ticket.process,
        "confidence": ticket.confidence,
        "status": ticket.status.value,
        "requester": ticket.requester_address,
        "requester_name": ticket.requester_name,
        "subject": ticket.subject,
        "channel": ticket.channel.value,
        "received_at": _iso(ticket.received_at),
        "due_date": ticket.due_date.isoformat(),
        "due_at": _iso(ticket.due_at),
        "closed_at": _iso(ticket.closed_at),
        "assignee": ticket.assignee,
        "model_version": ticket.model_version,
    }


def rating_json(feedback: TicketFeedback | None) -> dict[str, Any]:
    """Return the rating keys of a ticket's JSON object; both are null when the ticket has no rating."""
    if feedback is None:
        return {"rating": None, "rating_comment": None}
    return {"rating": feedback.rating, "rating_comment": feedback.comment}


def entry_json(entry: ThreadEntry) -> dict[str, Any]:
    return {
        "created_at": _iso(entry.created_at),
        "direction": entry.direction.value,
        "kind": entry.kind,
        "author": entry.author,
        "message_id": entry.message_id,
        "text": entry.text,
        "attachments": [
            {"filename": item.filename, "content_type": item.content_type, "size": item.size, "sha256": item.sha256}
            for item in entry.attachments
        ],
    }


def requester_label(ticket: Ticket) -> str:
    """Name the requester as «Имя <адрес>», or by whichever of the two is known.

    An oral request registered by name only has no address.
    """
    name, address = ticket.requester_name.strip(), ticket.requester_address.strip()
    if name and address:
        return f"{name} <{address}>"
    return name or address or "—"
