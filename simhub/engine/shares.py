"""Large batches on every core: a kernel over episodes ``[a, b)`` run on one share of the
episodes per thread.

Episodes of a batch do not interact, so a step's per-episode kernels can run side by side on
disjoint rows; they release the GIL (``nogil``), so Python threads give real parallelism
without numba's threading layers (which are not safe for calls from several threads, and
compile for minutes). Batches below ``PARALLEL_EPISODES`` stay on the calling thread:
evaluation chunks (a few hundred episodes) already run one process per core, where more
threads would only contend.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

#: From this many episodes a step's per-episode kernels run on every core.
PARALLEL_EPISODES = 2048


def in_shares(kernel: Callable[..., Any], episodes: int, *args: Any) -> None:
    """``kernel(a, b, *args)`` for consecutive shares ``[a, b)`` of ``range(episodes)``, one
    per core, the first on the calling thread; returns when every share is done (and raises
    what any raised)."""
    pool, workers = _pool()
    bounds = [episodes * i // workers for i in range(workers + 1)]
    mine, *theirs = itertools.pairwise(bounds)
    shares = [pool.submit(kernel, a, b, *args) for a, b in theirs]
    kernel(*mine, *args)
    for share in shares:
        share.result()


def run(whole: Callable[..., Any], share: Callable[..., Any], episodes: int,
        *args: Any) -> None:
    """``whole(*args)`` on the calling thread, or for a batch of ``PARALLEL_EPISODES`` or
    more (and more than one core) ``share(a, b, *args)`` in shares (``in_shares``)."""
    if episodes >= PARALLEL_EPISODES and _pool()[1] > 1:
        in_shares(share, episodes, *args)
    else:
        whole(*args)


_pools: dict[int, tuple[ThreadPoolExecutor, int]] = {}  # by process id: a forked child
# inherits the pool object but not its threads, and would wait for them forever


def _pool() -> tuple[ThreadPoolExecutor, int]:
    """The share threads (one per core this process may use, besides the caller's) and the
    number of shares.

    ``OMP_NUM_THREADS``, where set, caps the count: Ray sets it to a task's ``num_cpus``, so
    a chunk on the cluster uses the cores it was given, not the node's.
    """
    pid = os.getpid()
    if pid not in _pools:
        workers = len(os.sched_getaffinity(0))
        cap = os.environ.get("OMP_NUM_THREADS", "")
        if cap.isdigit() and int(cap) > 0:
            workers = min(workers, int(cap))
        workers = max(1, workers)
        pool = ThreadPoolExecutor(workers - 1 or 1, thread_name_prefix="simhub-share")
        _pools.clear()
        _pools[pid] = pool, workers
    return _pools[pid]
