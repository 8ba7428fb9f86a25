"""Let the process keep the memory of one image for the next one.

A processor process handles one image after another. By default glibc hands every freed
multi-megabyte pixel buffer back to the kernel (munmap, or trimming the heap), so the next
image page-faults all of it in again: about 9,800 faults on a 24 MP JPEG, ~10 ms of a ~130 ms
run on the benchmark machine. Serving such buffers from the heap and never trimming it makes
a warm invocation reuse the pages of the previous one instead. The process's RSS then stays at
its peak, which costs nothing on Lambda (the memory size is reserved either way) and is what
the memory size is chosen for.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
"""Allocations up to this size come from the heap: every block Pillow allocates (at most
16 MB) and most input files. glibc refuses larger values on 64-bit builds."""
TRIM_THRESHOLD = 2**31 - 1
"""Never (mallopt takes an int: 2 GB, more than any processor has) trim the top of the heap."""


@functools.cache
def keep_freed_memory() -> bool:
    """Tune glibc's malloc once per process; False where that is not glibc (nothing changes)."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    trimmed = mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    mapped = mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    return bool(trimmed and mapped)
