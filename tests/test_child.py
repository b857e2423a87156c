"""`touchline-dbt` and its children die with their parent (a killed run worker leaves no dbt behind)."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.executable, "-c",
    "from touchline.child import exec_dying_with_parent; exec_dying_with_parent(['/bin/sleep', '120'])"])
print(child.pid, flush=True)
child.wait()
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split()[2] != "Z"


def _kill_parent_and_see_child_die(parent_script: str) -> None:
    """Start `parent_script` (it prints its touchline child's pid), SIGKILL it once the child has exec'd
    sleep (its death signal is set by then, however loaded the machine), and assert the child dies."""
    parent = subprocess.Popen([sys.executable, "-c", parent_script], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 60
    while Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")[0] != b"/bin/sleep":
        assert time.monotonic() < deadline, "the child never exec'd"
        time.sleep(0.05)
    assert _alive(child)
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(10)
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)


def test_a_child_dies_when_its_parent_is_killed():
    _kill_parent_and_see_child_die(PARENT)


def test_a_child_dies_with_its_parent_even_when_its_parent_ignores_the_signal():
    """An ignored SIGTERM is inherited through fork and exec (a test runner or daemon may ignore it)."""
    _kill_parent_and_see_child_die("import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + PARENT)


def test_touchline_dbt_is_the_real_dbt():
    from orchestration.marts.project import DBT_EXECUTABLE

    assert Path(DBT_EXECUTABLE).name == "touchline-dbt"
    r = subprocess.run([DBT_EXECUTABLE, "--version"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "installed" in r.stdout
