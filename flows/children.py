"""Child processes that do not outlive the run that started them (the crawl, the local Prefect API server)."""
from __future__ import annotations

import os
import signal
import sys


def die_with_parent() -> None:
    """In a child before exec: be killed when the process that started it dies, kill -9 included (Linux's
    PR_SET_PDEATHSIG), so a killed run leaves no crawl going on behind it."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    parent = os.getppid()
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(1)
