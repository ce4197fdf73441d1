"""The sweep's progress on a terminal: one line per finished batch of trials with a bar, the ETA and the best
value so far. Off a terminal (logs, cron, CI) it prints nothing: the sweep's log line per trial says enough."""

import sys


def progress_line(done: int, total: int, elapsed_s: float, best: float | None, objective: str, width: int = 20) -> str:
    filled = round(width * done / total) if total else width
    eta = elapsed_s / done * (total - done) if done else None
    best_text = f"best {objective} {best:.4f}" if best is not None else f"no {objective} yet"
    return (f"textsweep: [{'#' * filled}{'-' * (width - filled)}] {done}/{total} trials, {best_text}, "
            f"ETA {_duration(eta) if eta is not None else '?'}")


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def show(done: int, total: int, elapsed_s: float, best: float | None, objective: str, stream=None) -> None:
    stream = stream or sys.stderr
    if stream.isatty():
        print(progress_line(done, total, elapsed_s, best, objective), file=stream, flush=True)
