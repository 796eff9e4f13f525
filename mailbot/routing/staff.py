"""IT staff working a ticket by mail: answers, commands and oral requests."""

from __future__ import annotations

import dataclasses

from sqlalchemy.orm import Session

from mailbot.db.models import Channel, Direction, InboundMessage, Ticket, TicketStatus
from mailbot.outbound.staff_mail import queue_answer, queue_command_help
from mailbot.parse import ParsedMessage
from mailbot.routing.commands import Command, CommandError, CommandName, ParsedCommands, parse_commands
from mailbot.routing.context import Context
from mailbot.routing.outcome import Outcome
from mailbot.routing.requests import open_oral_request, store_attachments
from mailbot.tickets.corrections import correct_process
from mailbot.tickets.service import add_entry, change_status

ORAL_ONLY_IN_NEW_MAIL = "команда #устно пишется в новом письме, а не в ответе по заявке"
NEEDS_TICKET = "эта команда относится к заявке: ответьте на письмо заявки"


@dataclasses.dataclass(frozen=True)
class StaffMember:
    address: str
    name: str


def staff_member(parsed: ParsedMessage) -> StaffMember:
    address = parsed.from_address or ""
    name = parsed.from_.name if parsed.from_ and parsed.from_.name else address
    return StaffMember(address, name)


def handle_staff_reply(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket
) -> Outcome:
    commands = parse_commands(parsed.reply_text)
    errors = list(commands.errors)
    oral = commands.get(CommandName.ORAL)
    if oral is not None:
        errors.append(CommandError(oral.line, ORAL_ONLY_IN_NEW_MAIL))
    member = staff_member(parsed)
    if errors:
        return _reject(session, context, inbound, parsed, ticket, errors)

    for command in commands.commands:
        _apply(session, context, ticket, command, member)
    _deliver_text(session, context, inbound, parsed, ticket, commands, member)
    return Outcome("staff_reply", inbound, ticket=ticket, reason=",".join(c.name.value for c in commands.commands))


def handle_staff_new_mail(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage
) -> Outcome | None:
    """Handle a staff member's new mail that starts with commands; None when it has none."""
    commands = parse_commands(parsed.reply_text)
    if not commands.commands and not commands.errors:
        return None
    oral = commands.get(CommandName.ORAL)
    errors = list(commands.errors)
    if oral is None and not errors:
        errors.append(CommandError(commands.commands[0].line, _needs_ticket(parsed)))
    if errors or oral is None:
        return _reject(session, context, inbound, parsed, None, errors)

    ticket = open_oral_request(
        session, context, inbound, parsed, channel=Channel(oral.channel or "phone"), who=oral.argument,
        address=oral.address, text=commands.text,
    )
    return Outcome("oral_ticket", inbound, ticket=ticket)


def _needs_ticket(parsed: ParsedMessage) -> str:
    """Explain a ticket command in a mail that matched no ticket, naming the number its subject gives."""
    if parsed.ticket_number:
        return f"заявка {parsed.ticket_number} не найдена: проверьте номер в теме письма или ответьте на письмо заявки"
    return NEEDS_TICKET


def _reject(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage,
    ticket: Ticket | None, errors: list[CommandError],
) -> Outcome:
    """Tell the staff member what was wrong; nothing reaches the requester."""
    member = staff_member(parsed)
    listed = [{"line": error.line, "reason": error.reason} for error in errors]
    queue_command_help(session, context.settings, ticket, member.address, listed, in_reply_to=parsed.message_id)
    if ticket is not None:
        add_entry(
            session, ticket, direction=Direction.INTERNAL, kind="command_error",
            text="\n".join(f"{item['line']}: {item['reason']}" for item in listed),
            author=member.address, message_id=parsed.message_id, inbound_id=inbound.id,
        )
    return Outcome("staff_command_error", inbound, ticket=ticket)


def _apply(session: Session, context: Context, ticket: Ticket, command: Command, member: StaffMember) -> None:
    if command.name == CommandName.TAKE:
        _assign(session, ticket, member.address, member)
    elif command.name == CommandName.ASSIGN and command.address:
        _assign(session, ticket, command.address, member)
    elif command.name == CommandName.PROCESS:
        correct_process(session, ticket, command.process, author=member.address)
    elif command.name == CommandName.DUE and command.due_date:
        ticket.due_date = command.due_date
        ticket.due_at = context.calendar.end_of_working_day(command.due_date)
        add_entry(
            session, ticket, direction=Direction.INTERNAL, kind="due_set",
            text=f"due date set to {command.due_date.isoformat()}", author=member.address,
        )


def _assign(session: Session, ticket: Ticket, address: str, member: StaffMember) -> None:
    ticket.assignee = address
    add_entry(session, ticket, direction=Direction.INTERNAL, kind="assigned", text=address, author=member.address)


def _deliver_text(
    session: Session, context: Context, inbound: InboundMessage, parsed: ParsedMessage, ticket: Ticket,
    commands: ParsedCommands, member: StaffMember,
) -> None:
    attachments = store_attachments(context, parsed)
    text = commands.text
    add_entry(
        session, ticket, direction=Direction.INTERNAL,
        kind="note" if commands.has(CommandName.NOTE) else "staff_message",
        text=text, author=member.address, message_id=parsed.message_id, inbound_id=inbound.id,
        attachments=attachments,
    )
    if commands.has(CommandName.NOTE):
        return

    def send(kind: str) -> None:
        queue_answer(
            session, context.settings, ticket, kind=kind, text=text, staff_name=member.name,
            staff_address=member.address, attachments=attachments,
        )

    if commands.has(CommandName.CLARIFY):
        send("question")
        change_status(session, ticket, TicketStatus.CLARIFICATION, author=member.address)
    elif commands.has(CommandName.CLOSE):
        if text or attachments:
            send("closing")
        change_status(session, ticket, TicketStatus.CLOSED, author=member.address)
    elif text or attachments:
        send("answer")
        change_status(session, ticket, TicketStatus.ANSWERED, author=member.address)
