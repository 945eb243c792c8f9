"""Run blocking calls (database, file reads) off the event loop on a bounded thread pool."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class Blocking:
    def __init__(self, workers: int) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="simhub-db")

    async def run(self, fn: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        ctx = contextvars.copy_context()  # the caller's Principal travels with the call
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: ctx.run(fn, *args, **kwargs))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=False)
