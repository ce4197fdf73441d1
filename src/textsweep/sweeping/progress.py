"""The sweep's progress on a terminal: one line per finished batch of trials with a bar, the ETA and the best
value so far. Off a terminal (logs, cron, CI) it prints nothing: the sweep's log line per trial says enough."""

import sys


def progress_line(done: int, total: int, elapsed_s: float, best: float | None, objective: str, width: int = 20,
                  budget_s: float | None = None) -> str:
    filled = round(width * done / total) if total else width
    eta, budget_bound = estimate(done, total, elapsed_s, budget_s)
    best_text = f"best {objective} {best:.4f}" if best is not None else f"no {objective} yet"
    return (f"textsweep: [{'#' * filled}{'-' * (width - filled)}] {done}/{total} trials, {best_text}, "
            f"ETA {_duration(eta) if eta is not None else '?'}" + (" (time budget)" if budget_bound else ""))


def estimate(done: int, total: int, elapsed_s: float, budget_s: float | None) -> tuple[float | None, bool]:
    """(seconds left, whether the time budget is what bounds them). At the pace so far, the remaining trials
    take per_trial * left; under a budget (hydra.sweeper.timeout) no trial starts after it runs out, so the
    sweep ends at most one trial after the budget: whichever comes first."""
    if not done:
        return None, False
    per_trial = elapsed_s / done
    by_trials = per_trial * (total - done)
    if budget_s is None:
        return by_trials, False
    by_budget = max(0.0, budget_s - elapsed_s) + per_trial
    return (by_budget, True) if by_budget < by_trials else (by_trials, False)


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes}m{seconds:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def show(done: int, total: int, elapsed_s: float, best: float | None, objective: str, stream=None,
         budget_s: float | None = None) -> None:
    stream = stream or sys.stderr
    if stream.isatty():
        print(progress_line(done, total, elapsed_s, best, objective, budget_s=budget_s), file=stream, flush=True)
