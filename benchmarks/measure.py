"""Shared measuring helpers for the benchmark scripts: per-stage time and memory."""

from __future__ import annotations

import resource
import time
import tracemalloc


class Stage:
    """Context manager timing a stage and measuring its Python-heap peak.

    The peak comes from tracemalloc, which also sees numpy arrays (numpy reports its
    allocations to it); GEOS and other C libraries' own memory is not included — see
    :func:`maxrss_mb` for the process-wide peak.
    """

    def __init__(self, name: str, width: int = 44):
        self.name = name
        self.width = width

    def __enter__(self):
        tracemalloc.start()
        self.t0 = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.peak_mb = peak / 2**20
        print(
            f"  {self.name:<{self.width}} {self.seconds:8.2f} s   peak {self.peak_mb:8.1f} MB",
            flush=True,
        )


def maxrss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
