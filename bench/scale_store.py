"""Big stores in minutes, for timing the read commands at scale without running the sweeps that make them.

    python bench/scale_store.py --storage URL --tracking-uri URI [--trials 2000] [--runs 10000] [--epochs 4]

- Optuna: the study `scale` gets `--trials` finished trials through Optuna's own API (`study.add_trials`),
  shaped as successive halving leaves them: about 2 in 3 pruned after one or two epochs, the rest complete
  with every epoch's intermediate value, each with the user attributes a sweep's trial carries.
- MLflow: experiment `scale` gets one run per trial (tagged with the study and trial number, 87 params as a
  trial logs, 4 per-epoch metrics, the final metrics, a model URI on complete trials, under a parent run) and
  then older sweeps' trials and a few plain runs until it holds `--runs` runs, written with `log_batch`.
  `--tracking-uri` may be the server's URL or its backend database (MLflow's own SQLAlchemy store, much faster
  for filling: no HTTP per call); either way the runs are MLflow's, written by its client.

bench/scale.py's `--runs` top-up writes its runs with `write_runs` from here.
"""

import argparse
import math
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

STUDY = EXPERIMENT = "scale"
OLD_STUDY_SIZE = 1000  # the older sweeps' trials are grouped into studies of this size
PLAIN_SHARE = 0.1  # of the runs beyond the study's own, this share are plain runs (no study), over 7 variants


def learning_curve(units: int, rate: float, batch: int, epoch: int) -> float:
    """bench/scale_app.py's known function (copied there in its own words: the worker imports no bench module)."""
    plateau = 0.9 - 0.05 * math.log2(units / 96) ** 2 - 0.04 * math.log10(rate / 3e-3) ** 2 - 0.02 * math.log2(batch / 32) ** 2
    return max(0.5, plateau) * (1 - 0.5 * math.exp(-(epoch + 1) / 2))


def trial_shape(rng: random.Random, epochs: int) -> tuple[dict, int, bool]:
    """Sampled params, epochs run, pruned: successive halving stops most trials after one or two epochs."""
    params = {"model.units": rng.randint(8, 256), "trainer.learning_rate": math.exp(rng.uniform(math.log(1e-4), math.log(1e-2))),
              "trainer.batch_size": rng.choice([16, 32, 64, 128])}
    ran = rng.choices([1, 2, epochs], weights=[0.45, 0.2, 0.35])[0]
    return params, ran, ran < epochs


def trial_shapes(trials: int, epochs: int, seed: int = 0) -> list[tuple[int, dict, int, bool]]:
    rng = random.Random(seed)
    return [(number, *trial_shape(rng, epochs)) for number in range(trials)]


def distributions():
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    return {"model.units": IntDistribution(8, 256), "trainer.learning_rate": FloatDistribution(1e-4, 1e-2, log=True),
            "trainer.batch_size": CategoricalDistribution([16, 32, 64, 128])}


def fill_study(storage: str, shapes, run_ids: list[str], study_name: str = STUDY) -> None:
    """The trials, finished, with the run ids their jobs would have set (a finished trial takes no new attribute)."""
    import optuna
    from optuna.trial import FrozenTrial, TrialState

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=study_name, storage=storage, direction="maximize", load_if_exists=True)
    batch = []
    start = datetime.now() - timedelta(seconds=len(shapes) * 2)
    for (number, params, ran, pruned), run_id in zip(shapes, run_ids):
        curve = {e: learning_curve(params["model.units"], params["trainer.learning_rate"], params["trainer.batch_size"], e)
                 for e in range(ran)}
        begun = start + timedelta(seconds=2 * number)
        batch.append(FrozenTrial(
            number=number, state=TrialState.PRUNED if pruned else TrialState.COMPLETE,
            value=None if pruned else max(curve.values()), datetime_start=begun,
            datetime_complete=begun + timedelta(seconds=0.05 * ran + 0.3), params=params, distributions=distributions(),
            user_attrs={"mlflow_run_id": run_id, "textsweep.owner": f"host:{1000 + number % 16}:0",
                        "bench.objective_s": 0.05 * ran}, system_attrs={}, intermediate_values=curve, trial_id=number,
            values=None))
    study.add_trials(batch)


def config_params() -> dict[str, str]:
    """The 87 params a trial of textsweep's default config logs."""
    from textsweep.config.compose import compose_config
    from textsweep.tracking.runs import config_params as flatten

    return flatten(compose_config([]))


def write_runs(uri: str, experiment_id: str, specs: list[dict], base_params: dict[str, str], epochs: int,
               threads: int = 4) -> list[str]:
    """One finished MLflow run per spec (tags, params over the base ones, epochs run, pruned), in order; run ids."""
    import mlflow
    from mlflow.entities import Metric, Param, RunTag

    client = mlflow.MlflowClient(uri)

    def write(spec: dict) -> str:
        started = spec["start_ms"]
        run = client.create_run(experiment_id, start_time=started, run_name=spec["name"], tags=spec["tags"])
        units, rate, batch = spec.get("units", 64), spec.get("rate", 1e-3), spec.get("batch", 32)
        curve = [learning_curve(units, rate, batch, e) for e in range(spec["epochs"])]
        metrics = [Metric(k, v, started + 50 * e, e + 1) for e, value in enumerate(curve)
                   for k, v in (("val_accuracy", value), ("accuracy", min(1.0, value + 0.03)), ("val_loss", 1 - value),
                                ("loss", 0.97 - value))]
        best = max(curve)
        metrics += [Metric(k, v, started + 300, 0) for k, v in (
            ("final_val_accuracy", best), ("final_val_loss", 1 - best), ("test_accuracy", best - 0.01),
            ("epochs_run", float(spec["epochs"])), ("train_time_s", 0.05 * spec["epochs"]))]
        params = {**base_params, "model.units": str(units), "trainer.learning_rate": str(rate), "trainer.batch_size": str(batch)}
        tags = [RunTag("pruned", "true" if spec["pruned"] else "false")]
        if not spec["pruned"]:  # a stand-in for the model a finished trial keeps, as bench/scale_app.py logs
            client.log_text(run.info.run_id, "flavors: {}\n", "model/MLmodel")
            tags.append(RunTag("textsweep.model_uri", f"runs:/{run.info.run_id}/model"))
        client.log_batch(run.info.run_id, metrics=metrics, params=[Param(k, v) for k, v in params.items()][:100], tags=tags)
        client.set_terminated(run.info.run_id, "FINISHED", end_time=started + 400)
        return run.info.run_id

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(write, specs))


def experiment_of(uri: str) -> str:
    """The experiment; made here, on a database URI its artifacts go to a temporary folder (not the current one)."""
    import tempfile

    import mlflow

    client = mlflow.MlflowClient(uri)
    found = client.get_experiment_by_name(EXPERIMENT)
    if found:
        return found.experiment_id
    location = None if uri.startswith("http") else Path(tempfile.mkdtemp(prefix="textsweep-scale-artifacts-")).as_uri()
    return client.create_experiment(EXPERIMENT, artifact_location=location)


def parent_run(uri: str, experiment_id: str, study: str, start_ms: int) -> str:
    import mlflow

    client = mlflow.MlflowClient(uri)
    run = client.create_run(experiment_id, start_time=start_ms, run_name=f"sweep-{study}",
                            tags={"textsweep.role": "sweep", "optuna.study": study, "textsweep.sweep": study})
    client.set_terminated(run.info.run_id, "FINISHED", end_time=start_ms + 1)
    return run.info.run_id


def study_run_specs(shapes, study: str, parent: str, start_ms: int) -> list[dict]:
    return [{"name": f"{study}-t{number}", "start_ms": start_ms + 2000 * number, "epochs": ran, "pruned": pruned,
             "units": params["model.units"], "rate": params["trainer.learning_rate"], "batch": params["trainer.batch_size"],
             "tags": {"optuna.study": study, "optuna.trial": str(number), "textsweep.variant": "lstm",
                      "mlflow.parentRunId": parent}}
            for number, params, ran, pruned in shapes]


def plain_run_specs(count: int, first: int, start_ms: int, epochs: int) -> list[dict]:
    return [{"name": f"extra-{first + i}", "start_ms": start_ms + 1000 * i, "epochs": epochs, "pruned": False,
             "tags": {"textsweep.variant": f"extra{(first + i) % 7}"}} for i in range(count)]


def fill_runs(uri: str, shapes, wanted: int, epochs: int, threads: int = 4) -> dict:
    """Older studies' trials and plain runs, then the study's trials' runs, until the experiment holds `wanted`
    runs; the study's run ids under "study_run_ids"."""
    experiment_id = experiment_of(uri)
    base = config_params()
    now_ms = int(time.time() * 1000)
    extra = max(0, wanted - len(shapes))
    plain = int(extra * PLAIN_SHARE)
    old = extra - plain
    written = {"old_studies": 0, "old_trials": 0, "plain": 0}
    old_start = now_ms - 86_400_000 * 30  # the older sweeps ran last month
    for k in range(math.ceil(old / OLD_STUDY_SIZE)):
        size = min(OLD_STUDY_SIZE, old - k * OLD_STUDY_SIZE)
        name = f"scale-old-{k}"
        start = old_start + k * 86_400_000
        parent = parent_run(uri, experiment_id, name, start)
        old_shapes = trial_shapes(size, epochs, seed=1 + k)
        write_runs(uri, experiment_id, study_run_specs(old_shapes, name, parent, start), base, epochs, threads)
        written["old_studies"] += 1
        written["old_trials"] += size
    write_runs(uri, experiment_id, plain_run_specs(plain, 0, old_start - 86_400_000, epochs), base, epochs, threads)
    written["plain"] = plain
    start = now_ms - 2000 * len(shapes)
    parent = parent_run(uri, experiment_id, STUDY, start)
    written["study_run_ids"] = write_runs(uri, experiment_id, study_run_specs(shapes, STUDY, parent, start), base, epochs, threads)
    return written


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--storage", required=True, help="an Optuna storage URL (the study `scale` is created or extended)")
    p.add_argument("--tracking-uri", required=True, help="an MLflow tracking URI: the server's, or its backend database's")
    p.add_argument("--trials", type=int, default=2000)
    p.add_argument("--runs", type=int, default=10000)
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--threads", type=int, default=4)
    args = p.parse_args()
    started = time.perf_counter()
    shapes = trial_shapes(args.trials, args.epochs)
    written = fill_runs(args.tracking_uri, shapes, args.runs, args.epochs, args.threads)
    runs_s = time.perf_counter() - started
    fill_study(args.storage, shapes, written.pop("study_run_ids"))
    print(f"runs: {written} in {runs_s:.0f} s; {args.trials} trials in {time.perf_counter() - started - runs_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
