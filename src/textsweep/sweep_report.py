"""What a sweep's parent run holds at the end: the trials table (CSV) and plots (PNG) that open without a server."""

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
        from textsweep.pareto import objectives_of

        names = objectives_of(study)
        plots = {"pareto_front.png": lambda s: ovm.plot_pareto_front(s, target_names=names)}
    else:
        plots = {"optimization_history.png": ovm.plot_optimization_history}
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
