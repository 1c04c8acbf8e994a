"""Small helpers shared by the measurements: progress lines, timing, correctness failures."""

from __future__ import annotations

import gc
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

_STARTED = time.perf_counter()


class BenchmarkError(RuntimeError):
    """A correctness check failed: the numbers of this run measure something wrong."""


def say(message: str) -> None:
    """A progress line on stderr (stdout is kept for the final JSON)."""
    elapsed = time.perf_counter() - _STARTED
    print(f"[bench {elapsed:6.1f}s] {message}", file=sys.stderr, flush=True)


@dataclass
class Stopwatch:
    seconds: float = 0.0


@contextmanager
def stopwatch() -> Iterator[Stopwatch]:
    """Time the block with ``perf_counter``, after a full collection so that garbage left by
    an earlier measurement is not collected (and charged) inside this one.

    What the harness holds when the block starts (the rows it wrote, the values it expects
    back, the floor's prepared envelopes: hundreds of thousands of objects) is moved out of
    the collector's sight for the block (``gc.freeze``), as a portal worker freezes what it
    loaded at start-up (``portal/warm.py``): the block's collections walk the objects the
    block itself makes, not the harness's. Without it, each collection of the oldest
    generation walked the harness's objects too, and charged them to whichever model
    happened to be measured (one run's plain read took 0.34 s with them in sight and 0.19
    s without)."""
    gc.collect()
    gc.freeze()
    watch = Stopwatch()
    start = time.perf_counter()
    try:
        yield watch
    finally:
        watch.seconds = time.perf_counter() - start
        gc.unfreeze()


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def check(condition: bool, message: Callable[[], str] | str) -> None:
    """Raise ``BenchmarkError`` unless ``condition`` holds (message built only on failure)."""
    if not condition:
        raise BenchmarkError(message() if callable(message) else message)
