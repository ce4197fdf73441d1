"""A sweep's trials for people: the table `sweep status` prints, and what its parent run holds at the end (the
trials CSV, plots as PNG that open without a server)."""

import logging
import tempfile
import warnings
from pathlib import Path

log = logging.getLogger(__name__)


def trials_csv(study, path: Path) -> Path:
    frame = study.trials_dataframe(attrs=("number", "value", "state", "params", "user_attrs", "duration"))
    frame.to_csv(path, index=False)
    return path


def plot_pngs(study, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as ovm

    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(study.directions) > 1:  # multi-objective: the front is the result (the other plots need one target)
        from textsweep.sweeping.pareto import objectives_of

        names = objectives_of(study)
        plots = {"pareto_front.png": lambda s: ovm.plot_pareto_front(s, target_names=names)}
    elif complete:  # with none, Optuna would only log "There are no complete trials." (a sweep stopped early)
        plots = {"optimization_history.png": ovm.plot_optimization_history}
    else:
        plots = {}
    if len(complete) >= 2 and len(study.directions) == 1:
        plots["parallel_coordinate.png"] = ovm.plot_parallel_coordinate
        if len({tuple(sorted(t.params.items())) for t in complete}) >= 2 and len(complete[0].params) >= 1:
            plots["param_importances.png"] = ovm.plot_param_importances
    written = []
    for name, plot in plots.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # Optuna's "experimental" warnings
                ax = plot(study)
            figure = (ax.flat[0] if hasattr(ax, "flat") else ax).get_figure()
            figure.set_size_inches(9, 5)
            figure.tight_layout()
            figure.savefig(folder / name, dpi=90)
            plt.close(figure)
            written.append(folder / name)
        except Exception as e:  # one plot failing (e.g. a single-valued parameter) must not lose the others
            log.warning("could not draw %s: %s", name, e)
    return written


def log_sweep_report(client, run_id: str, study) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        client.log_artifact(run_id, str(trials_csv(study, folder / "trials.csv")), "sweep")
        for png in plot_pngs(study, folder):
            client.log_artifact(run_id, str(png), "sweep")


def _value_of(trial):
    """A complete trial's value; a multi-objective trial's values, in the objectives' order."""
    if trial.state.name != "COMPLETE" or not trial.values:
        return None
    return trial.values[0] if len(trial.values) == 1 else ", ".join(f"{v:.4g}" for v in trial.values)


def trial_records(trials) -> list[dict]:
    """One dict per trial: number, state, each param, value, epochs reported, duration in seconds."""
    keys = sorted({k for t in trials for k in t.params})
    records = []
    for t in trials:
        duration = (t.datetime_complete - t.datetime_start).total_seconds() if t.datetime_complete and t.datetime_start else None
        records.append({"number": t.number, "state": t.state.name.lower(), **{k: t.params.get(k) for k in keys},
                        "value": _value_of(t),
                        "epochs": len(t.intermediate_values) or None,
                        "duration_s": round(duration, 1) if duration is not None else None})
    return records
