"""Promotion in MLflow's model registry: the best run's model registered, `champion` pointed at it.

"Best" is by the validation metric, never by test. Only FINISHED runs with a logged model count (pruned
trials log none). Confirmed results come first: when a sweep confirmed its top trials over several seeds,
the choice is among those trials by their mean (`confirmed_val_mean`), with the linear baseline kept in the
running by its own score, so a single lucky seed never wins. Re-trainings made for the confirmation are
never promoted themselves.
On a multi-objective sweep (accuracy against training time), `--within D` picks the fastest
run whose validation accuracy is at most D below the best (lowest train_time_s); without it, the most
accurate. The new version carries the few tags a person filters or decides by (`version_tags`) and a
description; every parameter and metric stays on its run, which the version links to (`run_id`).
"""

from textsweep.config.names import check_alias, check_name
from textsweep.errors import ConfigError, TrackingError

SELECTION_METRIC = "final_val_accuracy"
CONFIRMED_METRIC = "confirmed_val_mean"  # logged on a trial's run by the confirmation step


PAGE = 10  # runs a search returns at a time: the best come first, so the first page nearly always holds the answer


def best_run(client, target: str, within: float | None = None):
    """The best finished run with a model, in the study `target` (any experiment) or the experiment `target`.

    The store sorts and filters (order_by, max_results, a filter string): a study of any size costs a few
    small searches, never a read of all its runs with their params and metrics."""
    from textsweep.tracking.filters import equals, search_runs

    finished = "attributes.status = 'FINISHED'"
    experiment_ids = [e.experiment_id for e in client.search_experiments()]
    scope = [equals("tags.`optuna.study`", target, "the sweep name"), finished]
    with_model = [*scope, "tags.`textsweep.model_uri` IS NOT NULL"]
    best = _first(client, experiment_ids, with_model, SELECTION_METRIC)
    if best is None and not search_runs(client, experiment_ids, scope, "the sweep name", max_results=1):
        exp = client.get_experiment_by_name(target)  # not a sweep: the experiment `target`
        if exp is None:
            raise ConfigError(f"{target!r} is neither a sweep (Optuna study) nor an MLflow experiment with runs: check the name")
        experiment_ids, with_model = [exp.experiment_id], [finished, "tags.`textsweep.model_uri` IS NOT NULL"]
        best = _first(client, experiment_ids, with_model, SELECTION_METRIC)
    if best is None:
        raise ConfigError(f"{target!r} has no finished run with a logged model and {SELECTION_METRIC}: train one first "
                          "(runs with tracking.log_model=false, pruned trials and, under tracking.best_models_only, trials "
                          "that were not among the best when they finished have no model)")
    if within is not None:  # on a front of accuracy against time: the fastest model giving up at most `within`
        near = [*with_model, f"metrics.{SELECTION_METRIC} >= {best.data.metrics[SELECTION_METRIC] - within!r}"]
        fastest = _first(client, experiment_ids, near, "train_time_s", ascending=True)
        return fastest or best
    confirmed = _first(client, experiment_ids, with_model, CONFIRMED_METRIC)
    if confirmed is None:
        return best
    baseline = _first(client, experiment_ids, [*with_model, "tags.`textsweep.role` = 'baseline'"], SELECTION_METRIC)
    return max([r for r in (confirmed, baseline) if r is not None], key=selection_score)


def _first(client, experiment_ids: list[str], filters: list[str], metric: str, ascending: bool = False):
    """The first candidate by `metric` (then the best, then the newest, among equals), or None: a run with the
    selection metric that is not a confirmation's re-training (never promoted)."""
    from textsweep.tracking.filters import first_by

    then = (f"metrics.`{SELECTION_METRIC}` DESC",) if metric != SELECTION_METRIC else ()
    return first_by(client, experiment_ids, filters, metric, _candidate, ascending, then, "the sweep name", PAGE)


def _candidate(run) -> bool:
    return SELECTION_METRIC in run.data.metrics and run.data.tags.get("textsweep.role") != "confirmation"


def selection_score(run) -> float:
    """The confirmed mean over seeds where there is one, else the run's own validation score."""
    m = run.data.metrics
    return m.get(CONFIRMED_METRIC, m[SELECTION_METRIC])


def check_model_name(name: str) -> None:
    """MLflow's registry takes a model name into its own searches and URIs (models:/NAME@alias): keep it plain."""
    bad = [c for c in ("'", '"', "/", ":", "@", "%", "\\", "`") if c in name]
    if not name.strip() or name != name.strip() or bad:
        raise ConfigError(f"--name {name!r} is not a usable model name: use letters, digits, '-', '_' or '.', "
                          "e.g. --name sentiment")
    check_name("--name", name, "sentiment")


def version_tags(run, target: str) -> dict[str, str]:
    """What a model version says about itself: where it came from and the scores it was chosen by. The rest
    (83 params and metrics on a sweep's trial) stays on the run: a version is found by these, not read for all."""
    m, tags = run.data.metrics, run.data.tags
    out = {"textsweep.run_id": run.info.run_id, "textsweep.promoted_from": target,
           "textsweep.variant": tags.get("textsweep.variant", run.info.run_name or ""),
           "textsweep.dataset": tags.get("textsweep.dataset", "")}
    for key in (SELECTION_METRIC, CONFIRMED_METRIC, "test_accuracy"):
        if key in m:
            out[key] = f"{m[key]:.4f}"
    return {k: v for k, v in out.items() if v}


def promote(client, target: str, name: str, alias: str = "champion", within: float | None = None):
    import contextlib
    import io

    import mlflow

    check_model_name(name)
    check_alias(alias)  # before anything is registered: MLflow checks the alias only when it sets it
    run = best_run(client, target, within)
    model_uri = run.data.tags["textsweep.model_uri"]
    existed = bool(client.search_registered_models(filter_string=f"name = '{name}'", max_results=1))
    # MLflow prints "Successfully registered model ..." and "Created version ..." to stderr itself (not through
    # logging); the command prints its own line about the version
    try:
        with contextlib.redirect_stderr(io.StringIO()):
            version = mlflow.register_model(model_uri, name, await_registration_for=60, tags=version_tags(run, target))
    except mlflow.exceptions.MlflowException as e:  # the run's model is gone (artifacts deleted, a store moved)
        if not existed:  # MLflow created the name before it failed on the version: leave no empty model behind
            with contextlib.suppress(mlflow.exceptions.MlflowException):
                client.delete_registered_model(name)
        raise TrackingError(f"run {run.info.run_id}'s model {model_uri} cannot be registered ({str(e).splitlines()[0][:200]}): "
                            "its artifacts may have been deleted; re-train it, or delete the run so that promote picks "
                            "the next best") from None
    m = run.data.metrics
    client.update_model_version(name, version.version, description=(
        f"{run.data.tags.get('textsweep.variant', run.info.run_name)} from {target}: "
        f"val_accuracy {m.get('final_val_accuracy', float('nan')):.4f}, test_accuracy {m.get('test_accuracy', float('nan')):.4f} "
        f"(selected by validation). Every parameter and metric: run {run.info.run_id}."))
    client.set_registered_model_alias(name, alias, version.version)
    return run, version
