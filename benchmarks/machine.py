"""What every benchmark reports about where it ran, and how it reads peak memory."""

from __future__ import annotations

import os
import platform
import resource
from pathlib import Path

#: Python source for a child process to print its own peak RSS in KiB (VmHWM).  Linux keeps
#: ``ru_maxrss`` across execve, so a child started by a parent that had built a big data set
#: would otherwise report the parent's peak; VmHWM belongs to the child's own memory map.
VMHWM_KIB = (
    "int(next(l for l in open('/proc/self/status') if l.startswith('VmHWM:')).split()[1])"
)


def peak_rss_mib() -> float:
    """This process's peak RSS in MiB (VmHWM; getrusage where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def describe() -> str:
    """CPU, cores, memory, OS, Python and the engine libraries' versions, plus the load."""
    import duckdb
    import pyarrow

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}, pyarrow {pyarrow.__version__}; "
        f"load average at start {os.getloadavg()[0]:.1f}"
    )
