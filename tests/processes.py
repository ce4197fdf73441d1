"""The suite's child processes: started in a process group of their own, stopped with the whole group, and
counted at the end of the session.

A server such as `mlflow server` or `textsweep ui` forks workers (uvicorn, huey); killing only the process a
test started orphans them. So every long-lived child is started with `spawn` (its own session, hence its own
process group) and ended with `stop` (SIGTERM to the group, SIGKILL after a grace), and each pytest process
marks its environment with `MARK`, which every descendant inherits, orphans included: `leftovers` finds them
by that mark at the end of the session, wherever they were re-parented.

Waits poll until ready and give up after a ceiling that grows with the machine's load (`patience`), so a busy
machine makes a start slower, not a failure.
"""

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

MARK = "TEXTSWEEP_TEST_SESSION"


def mark_environment() -> str:
    """Mark this process's environment, so its children (and theirs) can be found by `leftovers`."""
    os.environ[MARK] = str(os.getpid())
    return os.environ[MARK]


def patience(seconds: float) -> float:
    """`seconds` on an idle machine, stretched by the current load per core (a 2-core machine running 6
    CPU-bound jobs waits 3x as long)."""
    load = os.getloadavg()[0] / (os.cpu_count() or 1)
    return seconds * max(1.0, load)


def wait_until(ready, what: str, proc: subprocess.Popen | None = None, ceiling: float = 120, interval: float = 0.5):
    """Poll `ready()` until it returns something true, and return that. Fails at once when `proc` ends first,
    and after `patience(ceiling)` seconds, re-read at every poll so that load arriving mid-wait counts."""
    start = time.monotonic()
    while True:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process ended with code {proc.returncode} before that")
        value = ready()
        if value:
            return value
        waited = time.monotonic() - start
        if waited > patience(ceiling):
            raise AssertionError(f"{what}: not after {waited:.0f} s (load average {os.getloadavg()[0]:.1f} on "
                                 f"{os.cpu_count()} cores)")
        time.sleep(interval)


def spawn(args: list[str], **popen_kwargs) -> subprocess.Popen:
    """Popen in a new session: the child leads a process group that `stop` can end whole."""
    return subprocess.Popen(args, start_new_session=True, **popen_kwargs)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:  # a member changed user: it is there
        return True


def stop(proc: subprocess.Popen, grace: float = 10) -> int | None:
    """End the process group `proc` leads: SIGTERM, then SIGKILL to whatever is left after `grace` seconds.
    Returns the leader's exit code. Safe to call twice and on a process that has ended."""
    pgid = proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        proc.poll()  # reap the leader, so a zombie does not count as alive
        if not _group_alive(pgid):
            break
        time.sleep(0.1)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
    code = proc.wait()
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
    return code


@contextlib.contextmanager
def running(args: list[str], **popen_kwargs):
    """`spawn` for the length of a with-block; the group is stopped however the block ends."""
    proc = spawn(args, **popen_kwargs)
    try:
        yield proc
    finally:
        stop(proc)


def run(args: list[str], timeout: float, end_group: bool = False, **kwargs) -> subprocess.CompletedProcess:
    """subprocess.run(capture_output=True, text=True) in a process group of its own: on a timeout (or any
    interruption) the whole group is ended, not only the command, and TimeoutExpired is raised as usual.
    `end_group`: end the group after the command, too (a browser's helpers); otherwise what a command leaves
    behind is left to the session's check, which reports it."""
    kwargs.setdefault("capture_output", True)
    kwargs.setdefault("text", True)
    if kwargs.pop("capture_output"):
        kwargs.setdefault("stdout", subprocess.PIPE)
        kwargs.setdefault("stderr", subprocess.PIPE)
    proc = spawn(args, **kwargs)
    try:
        out, err = proc.communicate(timeout=timeout)
    except BaseException:
        stop(proc, grace=5)
        raise
    if end_group:
        stop(proc, grace=5)
    return subprocess.CompletedProcess(args, proc.returncode, out, err)


def _live_processes():
    """(pid, state, parent pid, process group) of every process, from /proc/<pid>/stat."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, ppid, pgid = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):  # gone meanwhile
            continue
        yield int(entry.name), state, int(ppid), int(pgid)


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group `pgid`: a command's children that outlived it."""
    return [pid for pid, state, _, group in _live_processes() if group == pgid and state != "Z"]


def children_of(pid: int) -> list[int]:
    return [child for child, _, parent, _ in _live_processes() if parent == pid]


def leftovers(mark: str) -> dict[int, str]:
    """{pid: command line} of the live processes, other than this one, whose environment carries MARK=mark."""
    needle = f"{MARK}={mark}".encode() + b"\0"
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle not in (entry / "environ").read_bytes():
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
        except OSError:  # gone meanwhile, or another user's
            continue
        if command:  # a zombie has no command line: its parent reaps it, nothing runs
            found[int(entry.name)] = command
    return found


def end_leftovers(mark: str, grace: float = 10) -> dict[int, str]:
    """Wait up to `patience(grace)` for the marked processes to end on their own (a server that was just told to
    stop), then SIGKILL the rest; returns those that had to be killed."""
    deadline = time.monotonic() + patience(grace)
    left = leftovers(mark)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = leftovers(mark)
    for pid in left:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
    return left


def drain(fd: int, chunks: list) -> None:
    """Read a pseudo-terminal's leader until the child closes it (a test's reader thread), into `chunks`."""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:  # the terminal closed
            return
        if not data:
            return
        chunks.append(data)
