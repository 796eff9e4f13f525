"""The Starlette application: survey form, rating pages and a health check.

Addresses (see mailbot.web.links for the ones mail links to):

    GET  /healthz                     "ok", for the committee's web server and monitoring
    GET  /survey/{token}              Form No. 1 for one invitation
    POST /survey/{token}              its answers
    GET  /rating/{token}/{n}          the rating page of a ticket with rating n chosen; stores nothing
    POST /rating/{token}[/{n}]        the rating page's form: rating and comment
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from mailbot.config import Settings
from mailbot.web import rating_pages, survey_pages
from mailbot.web.context import WebContext
from mailbot.web.render import SecurityHeadersMiddleware, message_page

logger = logging.getLogger(__name__)


def create_app(settings: Settings, session_factory: sessionmaker[Session]) -> Starlette:
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/survey/{token}", survey_pages.show_form, methods=["GET"]),
        Route("/survey/{token}", survey_pages.submit_form, methods=["POST"]),
        Route("/rating/{token}/{rating:int}", rating_pages.rate_by_link, methods=["GET"]),
        Route("/rating/{token}/{rating:int}", rating_pages.rate_by_form, methods=["POST"]),
        Route("/rating/{token}", rating_pages.rate_by_form, methods=["POST"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.web_context = WebContext(settings, session_factory)
    return app


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


async def http_error(request: Request, error: Exception) -> Response:
    """Show Starlette's own errors (unknown address, wrong method) as Russian pages."""
    status_code = error.status_code if isinstance(error, HTTPException) else 400
    if status_code == 405:
        return message_page(
            "Действие недоступно", "Эта страница так не открывается. Откройте ссылку из письма.", status_code=405
        )
    return message_page(
        "Страница не найдена",
        "Такой страницы нет. Откройте ссылку из письма, скопировав её целиком.",
        status_code=status_code,
    )


async def server_error(request: Request, error: Exception) -> Response:
    # The request path contains the token, so only the exception type is logged
    # here; uvicorn logs the traceback after this page is sent.
    logger.error("web request failed: %s", type(error).__name__)
    return message_page(
        "Ошибка на сервере",
        "Не удалось обработать запрос. Попробуйте ещё раз через несколько минут; ответы, "
        "отправленные сейчас, могли не сохраниться.",
        status_code=500,
    )
