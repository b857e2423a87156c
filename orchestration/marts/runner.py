"""dbt in the run worker's own process (dbt's `dbtRunner`), streamed to Dagster as dagster-dbt streams a dbt
process: the same Dagster events, errors and interrupts (docs/architecture.md D15).

A dbt process pays about five seconds before its first node on these machines (importing dbt, parsing, the
adapter), more than an incremental build's models take; the run worker has imported dagster-dbt, and with it
most of dbt, already. `InProcessDbtInvocation` is dagster-dbt's `DbtCliInvocation` whose "process" is a thread
running `dbtRunner`: dbt's events reach it through a callback instead of JSON lines on a pipe, and everything
dagster-dbt does with them (materializations, asset check results, the compute log, errors) is unchanged.

dbt keeps global state (its event manager, flags, adapters), so a process runs one invocation at a time
(`_ONE_AT_A_TIME`). An interrupt (a run terminated in Dagster) does what SIGINT does to a dbt process: dbt stops
starting nodes and its running queries are cancelled. dbt dies with the run worker because it is the run worker.
"""

from __future__ import annotations

import ctypes
import gc
import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dagster._core.errors import DagsterExecutionInterruptedError
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

_ONE_AT_A_TIME = threading.Lock()
_DONE = object()
# dbt's events that dagster-dbt reads (results, errors) are info and above; debug ones go to dbt.log only
_STREAMED_LEVELS = frozenset({"info", "warn", "error"})


@contextmanager
def _objects_frozen() -> Iterator[None]:
    """The objects that exist before dbt starts (the code location, Dagster, dbt's modules: some 400,000)
    left out of the garbage collector's full passes while dbt runs, then handed back to it; dbt's manifest
    joins them once it is loaded (`DbtThread._run`'s callback, at dbt's FoundStats event). A full pass walks every
    tracked object while all threads wait: an incremental build over 1M events spent about 0.7 s of its
    4 to 5 in the collector, 0.2 s now (bench/dbt_marts.py), for objects that outlive the invocation."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


class DbtThread:
    """The part of `subprocess.Popen` that `DbtCliInvocation` uses (`args`, `wait`, `returncode`,
    `send_signal`), for one `dbtRunner` invocation on a thread of this process. Its events, as the dicts
    dbt's JSON log lines hold, are in `events`, then `_DONE`."""

    def __init__(self, args: Sequence[str]):
        self.args = ["dbt", *args]
        self.events: queue.Queue = queue.Queue()
        self.returncode: int | None = None
        self.exception: BaseException | None = None
        self.drained = False
        # An interrupt is sent at most once and only while dbt runs (`_running` is cleared, under `_state`,
        # inside the try that catches it), so it never lands in the except below or in another thread
        # that reuses the ident of an ended one.
        self._state = threading.Lock()
        self._running, self._interrupted = True, False
        self._thread = threading.Thread(target=self._run, args=(list(args),), name="dbt", daemon=True)
        self._thread.start()

    def _run(self, args: list[str]) -> None:
        try:
            with _ONE_AT_A_TIME, _objects_frozen():
                from dbt.cli.main import dbtRunner  # its first import allocates enough for a full pass
                from dbt_common.events.functions import msg_to_dict

                def forward(msg) -> None:
                    if msg.info.name == "FoundStats":  # dbt has loaded its manifest: out of the passes too
                        gc.freeze()
                    if msg.info.level in _STREAMED_LEVELS:
                        self.events.put(msg_to_dict(msg))

                result = dbtRunner(callbacks=[forward]).invoke(args)
            with self._state:
                self._running = False
            self.exception = result.exception
            # dbt's exit codes: 0 success, 1 a node failed, 2 dbt itself failed
            self.returncode = 0 if result.success else 2 if result.exception is not None else 1
        except BaseException as exc:  # anything dbtRunner let through ends the invocation, never the thread silently
            with self._state:
                self._running = False
            self.exception, self.returncode = exc, 2
        finally:
            self.events.put(_DONE)

    def stream(self) -> Iterator[dict[str, Any]]:
        """dbt's events until it ends; nothing once they were all read (dagster-dbt reads again at the end,
        as it reads a closed pipe). The wait is bounded, so that an interrupt of the caller is seen at once."""
        while not self.drained:
            try:
                event = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            if event is _DONE:
                self.drained = True
            else:
                yield event

    def wait(self, timeout: float | None = None) -> int | None:
        self._thread.join(timeout)
        return self.returncode

    def send_signal(self, _sig: int = 0) -> None:
        """What SIGINT does to a dbt process: a KeyboardInterrupt in dbt's main thread (it stops starting
        nodes, cancels its connections and ends), and the queries running now cancelled, so that dbt's
        thread, which waits for its nodes, wakes up to see it."""
        with self._state:
            if not self._running or self._interrupted:
                return
            self._interrupted = True
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(self._thread.ident), ctypes.py_object(KeyboardInterrupt)
            )
        from dbt.adapters.factory import FACTORY

        for adapter in list(FACTORY.adapters.values()):
            with adapter.connection_named("dagster_interrupt"):  # dbt cancels from a connection of the caller's
                adapter.cancel_open_connections()


@dataclass
class InProcessDbtInvocation(DbtCliInvocation):
    """dagster-dbt's `DbtCliInvocation` over a `DbtThread` instead of a dbt process."""

    @classmethod
    def start(cls, args: Sequence[str], **fields: Any) -> InProcessDbtInvocation:
        return cls(process=DbtThread(args), **fields)  # type: ignore[arg-type]

    def _stream_stdout(self) -> Iterator[str | dict[str, Any]]:
        thread: DbtThread = self.process  # type: ignore[assignment]
        try:
            if thread.drained:
                return
            for event in thread.stream():
                if event["info"]["level"] == "error":
                    self._error_messages.append(event["info"]["msg"])
                yield event
            if thread.exception is not None:
                self._error_messages.append(f"{type(thread.exception).__name__}: {thread.exception}")
        except DagsterExecutionInterruptedError:
            thread.send_signal()
            thread.wait(timeout=self.termination_timeout_seconds)
            raise

    @property
    def dbt_command(self) -> str:
        return " ".join(self.process.args)


def in_process_args(
    args: Sequence[str], *, project_dir: Path, profiles_dir: Path | None, target_path: Path
) -> list[str]:
    """The dbt arguments of a run in this process: what dagster-dbt hands a dbt process through its
    environment (DBT_PROJECT_DIR, DBT_PROFILES_DIR, DBT_TARGET_PATH, DBT_LOG_PATH) as options. dbt's own
    console log is off (the invocation writes every event dbt streams to the compute log itself); its debug
    log, dbt.log, is in the invocation's folder as before."""
    dirs = ["--project-dir", str(project_dir), "--profiles-dir", str(profiles_dir or project_dir)]
    return [
        "--log-level",
        "none",
        "--log-level-file",  # without it, the file log takes the console's level
        "debug",
        *args,
        *dirs,
        "--target-path",
        str(target_path),
        "--log-path",
        str(target_path),
    ]
