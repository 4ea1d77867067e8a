"""Progress bars on stderr for the long stages (tqdm), or none at all."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def wanted(quiet: bool) -> bool:
    """Return whether to draw progress bars: not when *quiet*, and only when stderr
    is a terminal (a log file or a pipe gets the summary line alone)."""
    return not quiet and sys.stderr.isatty()


def bar(enabled: bool, total: int | None, description: str, unit: str = "it") -> tqdm[Any]:
    """Return a progress bar on stderr for *total* steps of *unit*; a disabled bar
    (every call a no-op) when not *enabled*. The bar is erased when closed, and only
    appears for a stage that lasts over a second. With no *total* (a step whose
    progress cannot be read, such as Oxigraph's bulk load), it shows the time spent."""
    return tqdm(
        total=total,
        bar_format=None if total is not None else "{desc}: {elapsed}",
        desc=description,
        unit=unit,
        unit_scale=True,
        disable=not enabled,
        leave=False,
        delay=1.0,
        file=sys.stderr,
    )
