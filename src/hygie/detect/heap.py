"""The C heap of a long scan: glibc's malloc is kept from holding on to freed memory as the input grows.

glibc serves a request of at least its mmap threshold with its own mapping, given back to the system when
freed, and anything smaller from its heaps (one per thread that allocates, DuckDB's included), whose freed
holes it keeps. The threshold starts at 128 KiB but rises to the size of each mapped block freed, up to
32 MiB: after the first large buffers of a batch (a column of messages, DuckDB's vectors and hash tables,
numpy's arrays) are freed, blocks of that size come from the heaps, and the holes they leave add up over
the batches. The detection evaluation of a million events peaked at 1,000 MB against 820 MB for a quarter
of them; with the threshold fixed at its starting value, both peak at about 830 MB.
"""

from __future__ import annotations

import ctypes
import platform
from functools import cache

MMAP_THRESHOLD = 128 * 1024
"""Bytes from which a block gets its own mapping: glibc's own starting value, kept fixed (fixing it turns
off the rise). 256 KiB still let the peak grow by 6% from 250,000 to a million events; 128 KiB costs about
3% more CPU in evaluation (the big blocks are mapped and zeroed again each time)."""
_M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h


@cache
def keep_heap_flat() -> bool:
    """Fixes glibc's mmap threshold for this process, once; False where the C library is not glibc.

    The setting is process-wide and stays: it is meant for the processes that scan events (the CLI, a
    worker, the web server's detection runs), where memory should not grow with the input."""
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return False
    mallopt = getattr(ctypes.CDLL(None), "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
