"""The one bounded wait of the test suite: poll a condition until it holds, or fail saying what never happened.

Tests never sleep for a fixed time; where no event can be awaited (another process, the database, a
log line), they ``await wait_for(check, what=...)``, which polls ``check`` (sync or async) every
``every`` seconds and fails after ``within`` seconds with ``timed out after ...s waiting for <what>``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

__all__ = ["wait_for"]


async def wait_for(check: Callable[[], Any | Awaitable[Any]], *, what: str, within: float = 30, every: float = 0.02) -> Any:
    """The first truthy value of ``check()``.

    Raises:
        AssertionError: ``check`` stayed falsy for ``within`` seconds (the message names ``what``).
    """
    try:
        with anyio.fail_after(within):
            while True:
                value = check()
                if inspect.isawaitable(value):
                    value = await value
                if value:
                    return value
                await anyio.sleep(every)
    except TimeoutError:
        raise AssertionError(f"timed out after {within}s waiting for {what}") from None
