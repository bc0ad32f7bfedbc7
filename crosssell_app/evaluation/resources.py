"""What a step costs: wall time and the process's peak resident memory, with the standard library only.

Linux keeps the process's high-water mark of resident memory (``VmHWM`` in ``/proc/self/status``)
and lets a process reset it by writing ``5`` to ``/proc/self/clear_refs``, so the peak of one
step is exact and costs no sampling thread. Elsewhere the figure is the peak of the process's
whole life so far (``getrusage``), an upper bound for the step.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROC = Path("/proc/self")


def _reset_peak() -> bool:
    try:
        (PROC / "clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb() -> float:
    """Return the process's peak resident memory in MB (since the last reset, on Linux)."""
    try:
        for line in (PROC / "status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KB elsewhere


def peak_rss_during(function: Callable[[], Any]) -> tuple[Any, float, float]:
    """Run ``function`` and return ``(result, seconds, peak resident memory in MB)``.

    The peak is the whole process's, which is what a worker's memory limit sees.
    """
    _reset_peak()
    start = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - start
    return result, seconds, peak_rss_mb()
