"""Let glibc hand the memory of large raw messages back to the system.

glibc serves blocks above its mmap threshold (128 KiB at first) with their
own mappings and unmaps them on free. But it raises that threshold to the
size of each such block freed, up to 32 MiB. After the first 27 MB message
every later one therefore landed in the main heap, whose freed pages glibc
keeps, and the daemon's resident size grew by about twice the largest
message and stayed there. Fixing the threshold keeps large blocks in their
own mappings.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

logger = logging.getLogger(__name__)

# mallopt parameter number of M_MMAP_THRESHOLD in glibc's malloc.h.
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1024 * 1024


def keep_large_blocks_mapped() -> bool:
    """Fix glibc's mmap threshold at 1 MiB; return False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    changed = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
    logger.debug("malloc mmap threshold fixed", extra={"bytes": MMAP_THRESHOLD_BYTES, "changed": changed})
    return changed
