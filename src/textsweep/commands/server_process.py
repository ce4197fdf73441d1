"""A server that `textsweep ui` or `textsweep dashboard` runs in the foreground, and ends whole.

`mlflow ui` forks uvicorn workers and a huey consumer; optuna-dashboard may fork too. Ending only the process
we started orphans them (they keep their port and hundreds of MB each). So the server leads a process group of
its own (a new session: a terminal's Ctrl-C reaches us, not it), and on SIGTERM or SIGINT the whole group gets
SIGTERM, then SIGKILL after a grace. The signal handler only sends the signal: waiting inside it would
deadlock on the wait the main thread is in (Popen's wait lock), so the main loop polls instead.
"""

import os
import signal
import subprocess
import time

GRACE_S = 10.0


def serve(command: list[str], log_path, env: dict | None = None) -> int | None:
    """Run `command` (with `env` added to the environment) with its output in `log_path` until it ends or this
    process gets SIGTERM/SIGINT. Returns the server's exit code, or None when a signal stopped it."""
    with open(log_path, "ab") as log:
        server = subprocess.Popen(command, start_new_session=True, stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, **(env or {})})
    stop_requested: list[float] = []

    def request_stop(*_):
        if not stop_requested:
            stop_requested.append(time.monotonic())
        _signal_group(server.pid, signal.SIGTERM)

    # Both set explicitly: a process started in the background of a non-interactive shell (cron, CI, nohup)
    # inherits SIGINT as ignored, and Ctrl-C / kill -INT must still stop the server.
    previous = {signum: signal.signal(signum, request_stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        while True:
            try:
                code = server.wait(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                if stop_requested and time.monotonic() - stop_requested[0] > GRACE_S:
                    _signal_group(server.pid, signal.SIGKILL)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        end_group(server.pid)
    return None if stop_requested else code


def end_group(pgid: int, grace: float = GRACE_S) -> None:
    """Members of the group that outlive its leader (workers whose parent died) get SIGTERM, then SIGKILL."""
    _signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _signal_group(pgid, 0):
        time.sleep(0.1)
    _signal_group(pgid, signal.SIGKILL)


def _signal_group(pgid: int, signum: int) -> bool:
    """Send `signum` to the group; False when no member is left."""
    try:
        os.killpg(pgid, signum)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
