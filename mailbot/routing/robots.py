"""Recognise mail from robots and loops, which never gets an answer."""

from __future__ import annotations

from mailbot.parse import MessageKind, ParsedMessage

ROBOT_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon",
        "postmaster",
        "noreply",
        "no-reply",
        "no_reply",
        "donotreply",
        "do-not-reply",
        "do_not_reply",
        "bounce",
        "bounces",
    }
)
BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})


def loop_reason(parsed: ParsedMessage, our_address: str) -> str | None:
    """Return why `parsed` is our own mail coming back, or None."""
    if parsed.from_address == our_address:
        return "from_our_address"
    if any(our_address in value.lower() for value in parsed.x_loop):
        return "x_loop"
    return None


def robot_reason(parsed: ParsedMessage) -> str | None:
    """Return why `parsed` was sent by a machine and must not be answered."""
    if parsed.kind != MessageKind.HUMAN:
        return str(parsed.kind.value)
    if parsed.auto_submitted and parsed.auto_submitted.split("(")[0].strip().lower() != "no":
        return "auto_submitted"
    if parsed.precedence and parsed.precedence.strip().lower() in BULK_PRECEDENCE:
        return "precedence"
    if parsed.return_path == "":
        return "null_return_path"
    local_part = (parsed.from_address or "").partition("@")[0]
    if local_part in ROBOT_LOCAL_PARTS or local_part.startswith("mailer-daemon"):
        return "robot_sender"
    return None
