"""Rendering the Russian pages in templates/web, and the headers every response carries.

Pages carry their style and script inline, allowed by a nonce in the
Content-Security-Policy, so they need no static files and keep working
when the committee's web server publishes them under a path prefix.
"""

from __future__ import annotations

import secrets
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mailbot.resources import TEMPLATES_DIR

WEB_TEMPLATES_DIR = TEMPLATES_DIR / "web"

# The links carry their credential in the path, so no page may leak its
# address through Referer, be cached, or be framed by another site.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
}


@cache
def _environment(directory: Path) -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def page_policy(nonce: str) -> str:
    """Return the Content-Security-Policy of a page whose inline style and script carry `nonce`."""
    return (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def render_page(name: str, context: dict[str, Any], *, status_code: int = 200) -> HTMLResponse:
    """Render template `name` from templates/web with a fresh nonce for its inline style and script."""
    nonce = secrets.token_urlsafe(16)
    html = _environment(WEB_TEMPLATES_DIR).get_template(name).render(nonce=nonce, **context)
    return HTMLResponse(html, status_code=status_code, headers={"Content-Security-Policy": page_policy(nonce)})


def message_page(heading: str, *paragraphs: str, status_code: int) -> HTMLResponse:
    """Render a page with a heading and text only: an error or a refusal."""
    return render_page("message.html.j2", {"heading": heading, "paragraphs": paragraphs}, status_code=status_code)


class SecurityHeadersMiddleware:
    """Add SECURITY_HEADERS to every HTTP response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
