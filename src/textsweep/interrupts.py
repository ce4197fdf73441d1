"""SIGTERM (a scheduler stopping the job) and Ctrl-C end a run or a sweep as Interrupted: MLflow status KILLED,
never a half-written FINISHED, and never in the middle of a store write.

A signal that lands inside a write (an epoch's metrics, a pruning report) waits until the write is done.
Raised inside SQLAlchemy's commit, it could leave the store's write lock taken, and every write after it,
the run's KILLED status among them, would wait out SQLite's busy timeout (20 s in MLflow) and fail.
A second signal does not wait: a write stuck retrying an unreachable server stops on the second Ctrl-C.

A launcher's worker whose sweep process died stops its job the same way (`interrupt_main_thread`): its run
ends KILLED with the reason `process_lost`.
"""

import os
import signal
import threading
from contextlib import contextmanager

from textsweep.errors import Interrupted

_writes_in_progress = 0
_pending_signal: int | None = None
_reason: tuple[str, str] | None = None  # why this process signalled itself (interrupt_main_thread)


def _interrupted(signum: int) -> Interrupted:
    if _reason is not None and signum == signal.SIGTERM:
        return Interrupted(_reason[1], reason=_reason[0])
    return Interrupted(f"received signal {signum}")


def _handler(signum, frame):
    global _pending_signal
    if _writes_in_progress and _pending_signal is None:
        _pending_signal = signum  # raised when the write is done
        return
    raise _interrupted(signum)


def interrupt_main_thread(reason: str, message: str) -> None:
    """From another thread: stop the main thread's work as SIGTERM would, with `reason` (a job whose sweep died)."""
    global _reason
    _reason = (reason, message)
    os.kill(os.getpid(), signal.SIGTERM)


@contextmanager
def signals_as_interrupt():
    """SIGTERM and SIGINT raise Interrupted in the main thread while the block runs. Elsewhere (a trial in a launcher's thread) a no-op."""
    global _pending_signal
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    # SIGINT even where the process inherited it ignored (`textsweep sweep ... &` from a script): a terminal's
    # Ctrl-C never reaches a background job, so a SIGINT that arrives was sent on purpose (kill -INT).
    previous = {signum: signal.signal(signum, _handler) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _pending_signal = None


@contextmanager
def store_write():
    """A write that a signal must not cut in half; the signal takes effect right after it."""
    global _writes_in_progress, _pending_signal
    _writes_in_progress += 1
    try:
        yield
    finally:
        _writes_in_progress -= 1
        if not _writes_in_progress and _pending_signal is not None:
            signum, _pending_signal = _pending_signal, None
            raise _interrupted(signum)
