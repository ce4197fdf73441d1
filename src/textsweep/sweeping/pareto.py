"""Multi-objective sweeps of textsweep's app (hydra.sweeper.objective=[val_accuracy, train_time_s]): the Pareto
front as lines for people (sweep status, the end-of-sweep summary), and the rule promote uses to pick from it."""

import json

OBJECTIVES_ATTR = "textsweep.objectives"  # the study's objectives, in the order of its values


def objectives_of(study) -> list[str]:
    raw = study.user_attrs.get(OBJECTIVES_ATTR)
    return json.loads(raw) if raw else [f"value{i}" for i in range(len(study.directions))]


def is_multi_objective(study) -> bool:
    return len(study.directions) > 1


def front_lines(study, limit: int = 10) -> list[str]:
    """One line per trial of the front, best by the first objective first."""
    names = objectives_of(study)
    first_max = study.directions[0].name == "MAXIMIZE"
    front = sorted(study.best_trials, key=lambda t: t.values[0], reverse=first_max)
    if not front:
        return ["no trial has completed yet"]
    lines = [f"Pareto front ({len(front)} trial(s): none is better on every objective than another): {', '.join(names)}"]
    for t in front[:limit]:
        values = "  ".join(f"{n} {v:.4g}" for n, v in zip(names, t.values))
        params = " ".join(f"{k}={f'{v:.4g}' if isinstance(v, float) else v}" for k, v in t.params.items())
        run = t.user_attrs.get("mlflow_run_id")
        lines.append(f"  #{t.number}: {values}  {params}" + (f"  (run {run})" if run else ""))
    if len(front) > limit:
        lines.append(f"  ... {len(front) - limit} more: textsweep sweep status {study.study_name}")
    return lines


def fastest_within(runs, within: float, metric: str = "final_val_accuracy", cost: str = "train_time_s"):
    """promote --within D: among the runs whose metric is at most D below the best, the one with the lowest cost.

    On a front of accuracy against training time this is the fastest model that gives up at most D accuracy."""
    best = max(r.data.metrics[metric] for r in runs)
    near = [r for r in runs if r.data.metrics[metric] >= best - within and cost in r.data.metrics]
    return min(near, key=lambda r: (r.data.metrics[cost], -r.data.metrics[metric])) if near else max(
        runs, key=lambda r: r.data.metrics[metric])
