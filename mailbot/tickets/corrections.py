"""Staff corrections of a ticket's process, kept so the classifier can learn."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from mailbot.db.models import Direction, ProcessCorrection, ThreadEntry, Ticket
from mailbot.processes import Process
from mailbot.tickets.service import add_entry


def request_text(session: Session, ticket: Ticket) -> str:
    query = select(ThreadEntry.text).where(ThreadEntry.ticket_id == ticket.id, ThreadEntry.kind == "request")
    return "\n".join(session.scalars(query.order_by(ThreadEntry.id)))


def correct_process(session: Session, ticket: Ticket, process: Process | None, *, author: str) -> ProcessCorrection:
    """Set the ticket's process as staff decided, and store the correction."""
    correction = ProcessCorrection(
        ticket_id=ticket.id,
        old_process=ticket.process,
        new_process=int(process) if process is not None else None,
        subject=ticket.subject,
        body=request_text(session, ticket),
        model_version=ticket.model_version,
        author=author,
    )
    session.add(correction)
    add_entry(
        session, ticket, direction=Direction.INTERNAL, kind="process_set",
        text=f"process {ticket.process} -> {correction.new_process} (staff)", author=author,
    )
    ticket.process = correction.new_process
    session.flush()
    return correction


def export_corrections(session: Session, path: Path) -> int:
    """Write every correction as a labelled JSONL item for `mailbot classify train`."""
    corrections = list(session.scalars(select(ProcessCorrection).order_by(ProcessCorrection.id)))
    with path.open("w", encoding="utf-8") as handle:
        for correction in corrections:
            item = {
                "id": f"C{correction.id:05d}",
                "subject": correction.subject,
                "body": correction.body,
                "process": correction.new_process,
                "kind": "request" if correction.new_process is not None else "other",
                "ambiguous": False,
                "note": f"staff correction from {correction.old_process}",
            }
            handle.write(json.dumps(item, ensure_ascii=False) + "\n")
    return len(corrections)
