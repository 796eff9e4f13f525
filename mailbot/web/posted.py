"""Reading a posted HTML form with bounded size and field count."""

from __future__ import annotations

import urllib.parse

from starlette.requests import Request

# Form No. 1 has 13 text fields of up to 4000 characters; percent-encoded
# Cyrillic takes 6 bytes a character, so 1 MiB leaves room to spare.
MAX_BODY_BYTES = 1024 * 1024
MAX_FIELDS = 200
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


class InvalidForm(Exception):
    """The request body is not a form this application accepts: too large, too many fields or another type."""


async def read_form(request: Request) -> dict[str, str]:
    """Return the fields of a URL-encoded form body; a repeated field keeps its last value."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        raise InvalidForm(f"unexpected content type {content_type!r}")

    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_BODY_BYTES:
            raise InvalidForm(f"body larger than {MAX_BODY_BYTES} bytes")

    try:
        pairs = urllib.parse.parse_qsl(
            body.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace",
            max_num_fields=MAX_FIELDS,
        )
    except ValueError as error:
        raise InvalidForm(str(error)) from error
    return dict(pairs)
