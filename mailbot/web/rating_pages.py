"""Ticket ratings from the links in an answer mail.

GET /rating/{token}/{n} shows the rating page with n chosen and records
nothing; the page's form (POST) stores the rating and an optional comment.
Mail gateways and virus scanners open links in incoming mail with GET or
HEAD before the reader does, so only a submitted form counts as the
requester's choice. The signed token names the ticket and is the
requester's only credential, so it is never logged.
"""

from __future__ import annotations

import dataclasses
import logging

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mailbot.db.models import Ticket, TicketFeedback
from mailbot.feedback.store import RATINGS, record_rating
from mailbot.signing import ForgedToken, read_ticket
from mailbot.survey.responses import clean_text
from mailbot.tickets.service import find_by_number
from mailbot.web.context import WebContext, web_context
from mailbot.web.posted import InvalidForm, read_form
from mailbot.feedback.ask import RATING_LABELS_RU
from mailbot.feedback.replies import LOW_RATINGS
from mailbot.outbound.staff_mail import queue_staff_low_rating
from mailbot.web.render import message_page, render_page

logger = logging.getLogger(__name__)

MAX_COMMENT_LENGTH = 2000


@dataclasses.dataclass(frozen=True)
class RatingView:
    """The ticket and its stored rating, as the rating page shows them."""

    number: str
    subject: str
    rating: int | None
    comment: str


async def rate_by_link(request: Request) -> Response:
    """Show the rating page with the link's rating chosen; store nothing."""
    context = web_context(request)
    number = _read_number(context, request)
    rating = request.path_params["rating"]
    if number is None or rating not in RATINGS:
        return _invalid_link_page()

    view = await run_in_threadpool(_load, context, number)
    if view is None:
        return _unknown_ticket_page()
    if request.method == "HEAD":
        return Response(status_code=200)
    return _rating_page(view, {}, "", saved=False, chosen=rating)


async def rate_by_form(request: Request) -> Response:
    context = web_context(request)
    number = _read_number(context, request)
    if number is None:
        return _invalid_link_page()

    try:
        posted = await read_form(request)
    except InvalidForm as error:
        logger.info("rating form rejected: %s", error)
        return message_page("Оценка не принята", "Форма отправлена в неверном виде. Откройте ссылку снова.", status_code=400)

    rating, comment, errors = _parse_rating_form(posted)
    if rating is None or errors:
        view = await run_in_threadpool(_load, context, number)
        if view is None:
            return _unknown_ticket_page()
        return _rating_page(view, errors, comment, saved=False, status_code=422)

    view = await run_in_threadpool(_rate, context, number, rating, comment)
    if view is None:
        return _unknown_ticket_page()
    return _rating_page(view, {}, "", saved=True)


def _parse_rating_form(posted: dict[str, str]) -> tuple[int | None, str, dict[str, str]]:
    """Return the chosen rating, the cleaned comment and Russian errors by field."""
    errors: dict[str, str] = {}
    value = posted.get("rating", "")
    rating = int(value) if value.isdigit() and int(value) in RATINGS else None
    if rating is None:
        errors["rating"] = "Выберите оценку от 1 до 5."

    comment = clean_text(posted.get("comment", ""))
    if len(comment) > MAX_COMMENT_LENGTH:
        errors["comment"] = f"Комментарий длиннее {MAX_COMMENT_LENGTH} знаков (сейчас {len(comment)}). Сократите его."
    return rating, comment, errors


def _read_number(context: WebContext, request: Request) -> str | None:
    try:
        return read_ticket(context.settings, request.path_params["token"])
    except ForgedToken:
        logger.info("rating link rejected: invalid signature")
        return None


def _rate(context: WebContext, number: str, rating: int, comment: str) -> RatingView | None:
    """Record the rating unless the same rating is already stored and no comment is added.

    A new low rating with a comment also queues a notice to the staff, in
    the same transaction, since the page does not reopen the ticket.
    """
    with context.session_factory.begin() as session:
        ticket = find_by_number(session, number)
        if ticket is None:
            logger.info("rating link rejected: ticket not found", extra={"ticket": number})
            return None
        feedback = _feedback(session, ticket)
        complaint = bool(comment) and rating in LOW_RATINGS and not _same_feedback(feedback, rating, comment)
        if feedback is None or feedback.rating != rating or comment:
            feedback = record_rating(session, ticket, rating, comment=comment, source="link")
        if complaint:
            _notify_staff(context, session, ticket, rating, comment)
        return RatingView(ticket.number, ticket.subject, feedback.rating, feedback.comment)


def _same_feedback(feedback: TicketFeedback | None, rating: int, comment: str) -> bool:
    """Tell whether this rating and comment are stored already, as when the form is sent twice."""
    return feedback is not None and feedback.rating == rating and feedback.comment == comment


def _notify_staff(context: WebContext, session: Session, ticket: Ticket, rating: int, comment: str) -> None:
    if not context.settings.address:
        # The notice would leave with an empty sender, which servers reject or staff distrust.
        logger.warning("low rating notice not queued: MAILBOT_ADDRESS is not set", extra={"ticket": ticket.number})
        return
    row = queue_staff_low_rating(session, context.settings, ticket, rating, comment)
    if row is None:
        logger.warning("low rating notice not queued: no assignee and no MAILBOT_STAFF", extra={"ticket": ticket.number})
        return
    session.flush()
    logger.info("low rating notice queued", extra={"ticket": ticket.number, "rating": rating, "outbox_id": row.id})


def _load(context: WebContext, number: str) -> RatingView | None:
    with context.session_factory.begin() as session:
        ticket = find_by_number(session, number)
        if ticket is None:
            logger.info("rating link rejected: ticket not found", extra={"ticket": number})
            return None
        feedback = _feedback(session, ticket)
        if feedback is None:
            return RatingView(ticket.number, ticket.subject, None, "")
        return RatingView(ticket.number, ticket.subject, feedback.rating, feedback.comment)


def _feedback(session: Session, ticket: Ticket) -> TicketFeedback | None:
    return session.scalar(select(TicketFeedback).where(TicketFeedback.ticket_id == ticket.id))


def _rating_page(
    view: RatingView,
    errors: dict[str, str],
    comment: str,
    *,
    saved: bool,
    chosen: int | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "view": view,
        "errors": errors,
        "comment": comment,
        "saved": saved,
        "chosen": chosen if chosen is not None else view.rating,
        "labels": RATING_LABELS_RU,
        "max_comment_length": MAX_COMMENT_LENGTH,
    }
    return render_page("rating.html.j2", context, status_code=status_code)


def _invalid_link_page() -> Response:
    return message_page(
        "Ссылка недействительна",
        "Ссылка для оценки повреждена. Откройте её из письма, скопировав целиком. Оценка не сохранена.",
        status_code=404,
    )


def _unknown_ticket_page() -> Response:
    return message_page(
        "Обращение не найдено",
        "Обращение, которое называет эта ссылка, не найдено. Оценка не сохранена.",
        status_code=404,
    )
