"""What a trial's value is and which way is better: directions, values from a job, and the sweep's results file.

Any Hydra app returns its value (a float, or a list for a multi-objective study), as with hydra-optuna-sweeper.
textsweep's app returns a dict of metrics; `hydra.sweeper.objective` names the ones that are the trial's values.
"""

import math
from pathlib import Path

from textsweep.errors import ConfigError

# objective -> (the metric textsweep's app returns, the direction that is better)
OBJECTIVE_METRICS = {
    "val_accuracy": ("final_val_accuracy", "maximize"),
    "val_loss": ("final_val_loss", "minimize"),
    "train_time_s": ("train_time_s", "minimize"),  # multi-objective: accuracy against training time
    "params": ("params_trainable", "minimize"),  # multi-objective: accuracy against model size
}
PER_EPOCH = ("val_accuracy", "val_loss")  # the ones Keras logs every epoch: pruning and early stopping watch the first


def metric_of(objective: str) -> str:
    """The metric of textsweep's app (a run's final_* metric) that an objective names."""
    return OBJECTIVE_METRICS[objective][0]


def as_list(value) -> list:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [getattr(v, "name", v) for v in value]
    return [getattr(value, "name", value)]  # the official plugin's Direction enum has .name


def directions_for_any_app(direction) -> list[str]:
    """hydra.sweeper.direction as a list; null minimizes, as the official plugin does."""
    directions = [str(d) for d in as_list(direction)] or ["minimize"]
    _check_names(directions)
    return directions


def objectives_and_directions(objective, direction) -> tuple[list[str], list[str]]:
    """textsweep's app: objectives and directions, each direction following from its objective.

    A direction that contradicts its objective (maximize val_loss) is refused: it would silently select the worst."""
    objectives = [str(o) for o in as_list(objective)] or ["val_accuracy"]
    for o in objectives:
        if o not in OBJECTIVE_METRICS:
            raise ConfigError(f"hydra.sweeper.objective={o!r} is not valid: use one of {', '.join(OBJECTIVE_METRICS)} "
                              "(validation metrics only: the test split never selects)")
    if objectives[0] not in PER_EPOCH:
        raise ConfigError(f"hydra.sweeper.objective={objectives}: the first objective must be {' or '.join(PER_EPOCH)} "
                          "(pruning and early stopping watch it), e.g. [val_accuracy, train_time_s]")
    if len(set(objectives)) != len(objectives):
        raise ConfigError(f"hydra.sweeper.objective={objectives} names an objective twice")
    natural = [OBJECTIVE_METRICS[o][1] for o in objectives]
    given = [str(d) for d in as_list(direction)]
    if not given:
        return objectives, natural
    _check_names(given)
    if len(given) != len(objectives):
        raise ConfigError(f"hydra.sweeper.direction={given} has {len(given)} direction(s) for {len(objectives)} "
                          f"objective(s) {objectives}: drop direction (it follows from the objective)")
    for o, d, n in zip(objectives, given, natural):
        if d != n:
            better = "lower" if n == "minimize" else "higher"
            raise ConfigError(f"hydra.sweeper.direction={d} would {d} {o}, which is better {better}: "
                              f"set direction={n}, or drop direction (it follows from the objective)")
    return objectives, given


def _check_names(directions: list[str]) -> None:
    for d in directions:
        if d not in ("minimize", "maximize"):
            raise ConfigError(f"hydra.sweeper.direction={d!r} is not valid: use minimize or maximize, or a list of them")


def values_of(returned, n: int) -> list[float]:
    """An app's return value as the trial's values (ValueError, as the official plugin says it, when it is not)."""
    if n == 1:
        try:
            values = [float(returned)]
        except (TypeError, ValueError):
            raise ValueError(f"Return value must be float-castable. Got '{returned}'.") from None
    else:
        try:
            values = [float(v) for v in returned]
        except (TypeError, ValueError):
            raise ValueError(f"Return value must be a list or tuple of float-castable values. Got '{returned}'.") from None
        if len(values) != n:
            raise ValueError(f"The number of the values and the number of the objectives are mismatched. "
                             f"Expect {n}, but actually {len(values)}.")
    if not all(math.isfinite(v) for v in values):  # Optuna would fail the trial too, with a warning of its own
        raise ValueError(f"Return value must be finite. Got '{returned}'.")
    return values


def metric_values(metrics: dict, objectives: list[str]) -> list | None:
    """textsweep's app: the objectives' values from the job's metrics; None when one is missing."""
    values = [metrics.get(metric_of(o)) for o in objectives]
    return None if any(v is None for v in values) else [float(v) for v in values]


def results(study) -> dict | None:
    """optimization_results.yaml as hydra-optuna-sweeper writes it: the best trial, or the Pareto front."""
    if not any(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False)):
        return None
    if len(study.directions) == 1:
        best = study.best_trial
        return {"name": "optuna", "best_params": dict(best.params), "best_value": best.value}
    return {"name": "optuna", "solutions": [{"params": dict(t.params), "values": list(t.values)} for t in study.best_trials]}


def write_results(study, sweep_dir) -> Path | None:
    from omegaconf import OmegaConf

    found = results(study)
    if found is None:
        return None
    path = Path(str(sweep_dir)) / "optimization_results.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(OmegaConf.create(found), path)
    return path
