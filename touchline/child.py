"""Child processes that die with their parent.

dagster-dbt starts `dbt` as a subprocess; if the run worker is killed (SIGKILL, OOM), an ordinary child
would go on writing the marts unsupervised. `touchline-dbt` (the dbt executable touchline's Dagster
resource runs) asks Linux to send it SIGTERM when its parent dies (PR_SET_PDEATHSIG, kept across exec),
then becomes the real `dbt` of this environment.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from pathlib import Path

PR_SET_PDEATHSIG = 1


def exec_dying_with_parent(argv: list[str], sig: int = signal.SIGTERM) -> None:
    """Replace this process with `argv`, set to receive `sig` when the parent process dies."""
    parent = os.getppid()
    # an ignored or blocked signal stays so across exec: the death signal must do its default, kill
    signal.signal(sig, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {sig})
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the request took effect
            sys.exit(128 + int(sig))
    os.execv(argv[0], argv)


def dbt_main() -> None:
    """`touchline-dbt ARGS`: the dbt of this environment, dying with its parent."""
    dbt = Path(sys.executable).with_name("dbt")
    exec_dying_with_parent([str(dbt), *sys.argv[1:]])
