"""One numba thread per test process, as in an executor's worker (one core per chunk): on a
shared machine, threads for batches of a few episodes cost more than they save."""

from __future__ import annotations

import numba

numba.set_num_threads(1)
