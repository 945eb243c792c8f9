"""Import numba for a command-line run as if scipy and cffi were not installed.

Before numba runs (or loads from its cache) the first kernel it loads its compiler registries.
When scipy is installed, ``numba.np.arraymath`` then imports ``scipy.linalg`` (about 0.6 s) only
to learn whether BLAS backs ``np.convolve`` / ``np.correlate``, and numba's typing imports cffi
and pycparser (about 0.1 s) to accept cffi functions as kernel arguments. simhub's kernels use
neither (scipy is a test-only dependency: a deployed simhub has no scipy at all), so a command
that steps a scenario takes numba's no-scipy, no-cffi path, the one it takes in production.

BLAS linear algebra inside kernels (``np.dot``, ``np.linalg``) still works afterwards: numba
imports scipy for it when such a kernel is typed, after the registries are loaded.

``import numba`` also imports PyYAML (about 25 ms) for one purpose: to read a
``.numba_config.yaml`` in the working directory. Where there is no such file, numba is
imported as if PyYAML were not installed, which changes nothing else it does; where there is
one, PyYAML stays importable and numba reads it as always.
"""

from __future__ import annotations

import os
import sys

EXTRAS = ("scipy", "scipy.linalg", "cffi")  # scipy.linalg: for when scipy is imported already
NUMBA_CONFIG_FILE = ".numba_config.yaml"  # numba.core.config reads it from the working directory


def import_numba_as_without_extras() -> None:
    """Import numba and load its compiler registries while scipy and cffi (and PyYAML, where
    numba has no config file to read) cannot be imported.

    Does nothing when the registries are loaded already: numba's choices are made by then.
    """
    if "numba.np.arraymath" in sys.modules:
        return
    extras: tuple[str, ...] = EXTRAS
    if "numba" not in sys.modules and not os.path.isfile(NUMBA_CONFIG_FILE):
        extras += ("yaml",)
    hidden = [name for name in extras if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # import raises ImportError
    try:
        from numba.core.registry import cpu_target

        cpu_target.target_context.refresh()
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]
