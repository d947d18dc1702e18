"""Memory allocators of the processes that write or scan events, kept from holding on to freed memory.

Ingestion and evaluation free and allocate buffers of tens of megabytes per batch; two allocators kept the
freed space, so a process grew with the number of batches, that is with the input:

- glibc's malloc (Python's larger objects, numpy, DuckDB) serves a request of at least its mmap threshold
  with its own mapping, given back when freed, and anything smaller from its heaps, whose freed holes it
  keeps. The threshold starts at 128 KiB but rises to the size of each mapped block freed, up to 32 MiB:
  once the first large buffers are freed, blocks of that size come from the heaps and their holes add up.
  The evaluation of a million events peaked at 1,000 MB against 880 MB for a quarter of them; with the
  threshold fixed (:func:`fix_mmap_threshold`), at about 850 MB against 770 MB.
- Arrow's default pool, mimalloc, kept the pages freed by ingestion: a process writing 500,000 events
  peaked at 430 MB against 380 MB for 130,000; with jemalloc (:func:`writing_pool`), 340 MB against
  310 MB, for the same CPU time. Not in evaluation, where jemalloc cost 10% more CPU.
"""

from __future__ import annotations

import ctypes
import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

import pyarrow as pa

MMAP_THRESHOLD = 256 * 1024
"""Bytes from which a block gets its own mapping, kept fixed (fixing it turns off the rise). glibc starts at
128 KiB: kept there, the evaluation's peak grew by only 2 to 6% from 250,000 to a million events, but its
CPU time by 13 to 15% (blocks of 128 to 256 KiB, numpy's arrays of a batch, mapped and zeroed again each
time); at 256 KiB, the peak grew by 10 to 13% for about 5% more CPU."""
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
WRITING_POOL = "jemalloc"
"""Arrow's allocator while events are written, unless ``ARROW_DEFAULT_MEMORY_POOL`` names one. While busy it
gives freed pages back after about a second (jemalloc's default decay; at once cost 10% more CPU for 5%
less memory), and all of them when the writing ends (it does so only during its own calls)."""


@cache
def fix_mmap_threshold() -> bool:
    """Fixes glibc's mmap threshold for this process, once; False where the C library is not glibc.

    Process-wide and for good: meant for the processes that scan events (the CLI, a detection run, the
    web server), where memory should not grow with the input."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))


@contextmanager
def writing_pool() -> Iterator[None]:
    """Arrow's default pool is jemalloc inside the block, the earlier one again after it (buffers keep the
    pool they came from). Left alone when ``ARROW_DEFAULT_MEMORY_POOL`` is set or jemalloc is missing."""
    earlier = pa.default_memory_pool()
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ or earlier.backend_name == WRITING_POOL:
        yield
        return
    try:
        writing = pa.jemalloc_memory_pool()
    except NotImplementedError:  # a pyarrow built without jemalloc
        yield
        return
    pa.set_memory_pool(writing)
    try:
        yield
    finally:
        pa.set_memory_pool(earlier)
        # jemalloc gives pages back during its own calls only: idle from now on, it would keep them.
        writing.release_unused()
