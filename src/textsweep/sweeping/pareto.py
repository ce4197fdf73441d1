"""Multi-objective sweeps of textsweep's app (hydra.sweeper.objective=[val_accuracy, train_time_s]): the Pareto
front as lines for people (sweep status, the end-of-sweep summary). The rule promote --within uses to pick from
it is results.promotion's."""

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
