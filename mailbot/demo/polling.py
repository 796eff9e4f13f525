"""Waiting in the demo until the daemon, running in another thread, has done a step."""

from __future__ import annotations

import time
from collections.abc import Callable

WAIT_SECONDS = 60.0


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"demo condition not met within {timeout} s")
        time.sleep(0.1)
