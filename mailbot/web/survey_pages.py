"""The Form No. 1 pages: GET shows the form for one invitation, POST stores the answers.

The signed token in the address is the respondent's only credential. It
is never logged: log lines carry the outcome and the campaign only.
"""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from mailbot.signing import ForgedToken, InvitationToken, read_invitation
from mailbot.survey import form
from mailbot.survey.responses import Outcome, check_invitation, error_place, parse_answers, submit
from mailbot.web.context import WebContext, web_context
from mailbot.web.posted import InvalidForm, read_form
from mailbot.web.render import message_page, render_page

logger = logging.getLogger(__name__)

# Heading, text and HTTP status of the page shown when an invitation cannot answer.
REFUSALS = {
    Outcome.FORGED: (
        "Ссылка недействительна",
        "Ссылка на анкету повреждена или устарела. Откройте ссылку из последнего письма "
        "с приглашением, скопировав её целиком.",
        404,
    ),
    Outcome.OUTDATED: (
        "Ссылка устарела",
        "Вам отправлено напоминание с новой ссылкой на анкету, и эта ссылка больше не действует. "
        "Откройте ссылку из последнего письма об анкете.",
        410,
    ),
    Outcome.ALREADY_ANSWERED: (
        "Анкета уже заполнена",
        "По этой ссылке ответы уже получены, а заполнить анкету можно только один раз. "
        "Спасибо за участие!",
        409,
    ),
    Outcome.CLOSED: (
        "Опрос завершён",
        "Приём ответов на эту анкету закончен.",
        410,
    ),
}


async def show_form(request: Request) -> Response:
    context = web_context(request)
    token = _read_token(context, request)
    if token is None:
        logger.info("survey form rejected", extra={"outcome": Outcome.FORGED.value})
        return _refusal_page(context, Outcome.FORGED, submitted=False)

    outcome = await run_in_threadpool(_check, context, token)
    if outcome is not Outcome.OPEN:
        logger.info("survey form rejected", extra={"outcome": outcome.value})
        return _refusal_page(context, outcome, submitted=False)
    return _form_page({}, {})


async def submit_form(request: Request) -> Response:
    context = web_context(request)
    token = _read_token(context, request)
    if token is None:
        logger.info("survey answers rejected", extra={"outcome": Outcome.FORGED.value})
        return _refusal_page(context, Outcome.FORGED, submitted=True)

    try:
        posted = await read_form(request)
    except InvalidForm as error:
        logger.info("survey answers rejected: %s", error)
        return message_page("Ответы не приняты", "Форма отправлена в неверном виде. Откройте ссылку снова.", status_code=400)

    parsed = parse_answers(posted)
    if parsed.answers is None:
        return await _invalid_answers_page(context, token, posted, parsed.errors)

    outcome = await run_in_threadpool(_submit, context, token, parsed.answers)
    if outcome is not Outcome.STORED:
        return _refusal_page(context, outcome, submitted=True)
    return render_page("survey_thanks.html.j2", {"form": form})


async def _invalid_answers_page(
    context: WebContext, token: InvitationToken, posted: dict[str, str], errors: dict[str, str]
) -> Response:
    """Show the form again with what was typed, unless the invitation cannot answer at all."""
    outcome = await run_in_threadpool(_check, context, token)
    if outcome is not Outcome.OPEN:
        logger.info("survey answers rejected", extra={"outcome": outcome.value})
        return _refusal_page(context, outcome, submitted=True)
    logger.info("survey answers invalid", extra={"invalid_fields": len(errors)})
    return _form_page(posted, errors, status_code=422)


def _read_token(context: WebContext, request: Request) -> InvitationToken | None:
    try:
        return read_invitation(context.settings, request.path_params["token"])
    except ForgedToken:
        return None


def _check(context: WebContext, token: InvitationToken) -> Outcome:
    with context.session_factory.begin() as session:
        return check_invitation(session, token, context.today())


def _submit(context: WebContext, token: InvitationToken, answers: dict[str, object]) -> Outcome:
    with context.session_factory.begin() as session:
        return submit(session, token, answers, context.today())


def _form_page(values: dict[str, str], errors: dict[str, str], *, status_code: int = 200) -> Response:
    places = {group: error_place(group) for group in errors}
    context = {"form": form, "values": values, "errors": errors, "places": places}
    return render_page("survey_form.html.j2", context, status_code=status_code)


def _refusal_page(context: WebContext, outcome: Outcome, *, submitted: bool) -> Response:
    heading, text, status_code = REFUSALS[outcome]
    paragraphs = [text]
    if submitted:
        paragraphs.append("Отправленные сейчас ответы не сохранены.")
    if context.settings.address:
        paragraphs.append(f"Если это ошибка, напишите в ИТ-службу: {context.settings.address}.")
    return message_page(heading, *paragraphs, status_code=status_code)
