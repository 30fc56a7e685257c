"""How much a piece of code reads, measured by the kernel rather than by a clock.

"Fails fast" is a promise about work, not about time: a 1 GB junk file refused after its
first few kilobytes. Wall time varies with the machine's load and so makes a flaky test;
the bytes a process reads (Linux's `rchar` in /proc/self/io) do not.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

_IO = Path("/proc/self/io")


def _rchar() -> int:
    for line in _IO.read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("no rchar line in /proc/self/io")


class Meter:
    read = 0


@contextmanager
def bytes_read():
    """Count the bytes this process reads (files, pipes) while the block runs."""
    meter = Meter()
    start = _rchar()
    try:
        yield meter
    finally:
        meter.read = _rchar() - start
