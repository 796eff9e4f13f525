"""Choose who is invited to the survey: the internal clients who wrote to the IT mailbox, plus an employee list.

The database records everyone who has opened a ticket, replied on one, or
written human mail that was not a request. An optional CSV list of
employees adds those who have never written. Every address is lower-cased,
kept only within MAILBOT_ALLOWED_DOMAINS when that is set, and the IT
mailbox and the IT staff (MAILBOT_STAFF) are left out, because the survey
asks the clients of IT, not IT itself.
"""

from __future__ import annotations

import dataclasses
import email.utils
import logging
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.config import Settings
from mailbot.db.models import Direction, InboundMessage, InboundRaw, ThreadEntry, Ticket
from mailbot.parse import parse_message
from mailbot.retention import header_block
from mailbot.survey.csvfile import CsvFileError, CsvRow, normalize_header, read_csv_file

logger = logging.getLogger(__name__)

ADDRESS_COLUMNS = frozenset({
    "email", "e-mail", "e mail", "mail", "адрес", "почта", "эл. почта", "электронная почта",
    "адрес электронной почты", "адрес эл. почты",
})
NAME_COLUMNS = frozenset({"фио", "ф.и.о.", "ф. и. о.", "имя", "name", "full name", "сотрудник"})
# Human mail from an allowed domain that the classifier found not to be a request.
NOT_REQUEST_OUTCOME = "not_request"
# The column length of SurveyInvitation.address.
MAX_ADDRESS_LENGTH = 320

_ADDRESS_RE = re.compile(r"^[^@\s<>()\[\],;:\"]+@[^@\s<>()\[\],;:\"]+\.[^@\s<>()\[\],;:\"]+$")


@dataclasses.dataclass(frozen=True)
class Invitee:
    address: str
    name: str
    # "mailbox" when the address has written to the IT mailbox, "list" when only the employee list contains it.
    source: str


@dataclasses.dataclass(frozen=True)
class EmployeeList:
    """The usable rows of an employee CSV and a Russian message for each row that was skipped."""

    invitees: list[Invitee]
    problems: list[str]


def is_address(text: str) -> bool:
    """Tell whether `text` looks like one mailbox address (local@domain.tld)."""
    return len(text) <= MAX_ADDRESS_LENGTH and bool(_ADDRESS_RE.match(text))


def exclusion_reason(address: str, settings: Settings) -> str | None:
    """Return why `address` is not invited (Russian), or None when it may be."""
    if address == settings.address:
        return "это адрес самой ИТ-службы (MAILBOT_ADDRESS)"
    if address in settings.staff:
        return "это адрес сотрудника ИТ-службы (MAILBOT_STAFF)"
    domain = address.rpartition("@")[2]
    if settings.allowed_domains and domain not in settings.allowed_domains:
        return "домен не входит в MAILBOT_ALLOWED_DOMAINS"
    return None


def read_employees(path: Path, settings: Settings) -> EmployeeList:
    """Read an employee CSV; a bad row is skipped with a message, a file without an address column raises."""
    table = read_csv_file(path)
    columns = {normalize_header(name): name for name in table.header}
    address_column = next((columns[name] for name in columns if name in ADDRESS_COLUMNS), None)
    name_column = next((columns[name] for name in columns if name in NAME_COLUMNS), None)
    if address_column is None:
        raise CsvFileError(
            f"В файле «{path}» нет столбца с адресом: первая строка должна содержать заголовок "
            "«email», «e-mail», «адрес» или «почта»."
        )

    invitees: list[Invitee] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for row in table.rows:
        invitee, problem = _employee(row, address_column, name_column, settings, first_line)
        if problem is not None:
            problems.append(problem)
        if invitee is not None:
            invitees.append(invitee)
    return EmployeeList(invitees, problems)


def _employee(
    row: CsvRow, address_column: str, name_column: str | None, settings: Settings, first_line: dict[str, int]
) -> tuple[Invitee | None, str | None]:
    """Turn one CSV row into an invitee, or return the Russian reason it is skipped."""
    cell = row.cells.get(address_column, "")
    if not cell:
        return None, f"строка {row.line}: не указан адрес, строка пропущена"

    # A cell such as «Иванова М. В. <ivanova@committee.ru>» gives both name and address.
    display_name, address = email.utils.parseaddr(cell)
    address = address.strip().lower()
    if not is_address(address):
        return None, f"строка {row.line}: «{cell}» не похоже на адрес электронной почты, строка пропущена"

    reason = exclusion_reason(address, settings)
    if reason is not None:
        return None, f"строка {row.line}: {address} не приглашается: {reason}"
    if address in first_line:
        return None, f"строка {row.line}: адрес {address} уже есть в строке {first_line[address]}, строка пропущена"
    first_line[address] = row.line

    name = row.cells.get(name_column, "") if name_column else ""
    name = " ".join((name or display_name).split())
    return Invitee(address, name, "list"), None


def mailbox_clients(session: Session, settings: Settings) -> dict[str, str]:
    """Return every client address that wrote to the IT mailbox, with the name on their latest ticket ("" when none)."""
    names = latest_requester_names(session)
    addresses = set(names)
    addresses.update(_reply_authors(session))
    addresses.update(_not_request_senders(session))
    clients = {}
    for address in addresses:
        if is_address(address) and exclusion_reason(address, settings) is None:
            clients[address] = names.get(address, "")
    return clients


def latest_requester_names(session: Session) -> dict[str, str]:
    """Map each requester address (lower case) to the name on their latest ticket."""
    query = (
        select(Ticket.requester_address, Ticket.requester_name)
        .where(Ticket.requester_address != "")
        .order_by(Ticket.received_at, Ticket.id)
    )
    names: dict[str, str] = {}
    for address, name in session.execute(query):
        address = address.strip().lower()
        # Later tickets come last, so a later non-empty name replaces an earlier one.
        if name.strip() or address not in names:
            names[address] = " ".join(name.split())
    return names


def _reply_authors(session: Session) -> set[str]:
    query = select(ThreadEntry.author).where(
        ThreadEntry.direction == Direction.INBOUND, ThreadEntry.kind == "reply"
    ).distinct()
    return {author.strip().lower() for author in session.scalars(query) if author}


def _not_request_senders(session: Session) -> set[str]:
    """Read the sender of each stored human mail that opened no ticket, from its header block."""
    query = (
        select(InboundMessage.id, InboundRaw.raw)
        .join(InboundRaw, InboundRaw.inbound_id == InboundMessage.id)
        .where(InboundMessage.outcome == NOT_REQUEST_OUTCOME)
    )
    senders = set()
    for message_id, raw in session.execute(query):
        parsed = parse_message(header_block(raw))
        if parsed.from_address:
            senders.add(parsed.from_address.strip().lower())
        else:
            logger.debug("stored message without a sender skipped", extra={"inbound_id": message_id})
    return senders


def choose_invitees(
    session: Session, settings: Settings, employees: EmployeeList | None, *, exclude: set[str] | frozenset[str] = frozenset()
) -> list[Invitee]:
    """Merge the mailbox's clients and the employee list, minus `exclude`, sorted by address.

    The list's name wins; otherwise the name of the client's latest ticket is used.
    """
    clients = mailbox_clients(session, settings)
    merged: dict[str, Invitee] = {
        address: Invitee(address, name, "mailbox") for address, name in clients.items()
    }
    for employee in employees.invitees if employees is not None else []:
        source = "mailbox" if employee.address in clients else "list"
        name = employee.name or clients.get(employee.address, "")
        merged[employee.address] = Invitee(employee.address, name, source)
    return [merged[address] for address in sorted(merged) if address not in exclude]
