"""textsweep's Optuna sweeper, for real: Hydra multiruns and `textsweep sweep` over a real Optuna storage
and MLflow store in temporary folders, with tiny synthetic data."""

import re
import signal
import subprocess
import sys
import time

import optuna
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

import processes
from conftest import runs_of, signal_mid_training, study_with_strong_history, tiny, user_env
from textsweep.errors import ConfigError
from textsweep.sweeping.search_space import parse_search_space

TINY = tiny(epochs=2, log_model=False)
OPTUNA = ["hydra/sweeper=optuna", "hydra.sweeper.sampler.n_startup_trials=2"]


def study_of(home, name: str) -> optuna.Study:
    return optuna.load_study(study_name=name, storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")


# --- the grammar -------------------------------------------------------------------------------------

def test_every_form_of_the_official_grammar_maps_to_optuna_5_distributions():
    space = parse_search_space(
        {"model.dropout": "interval(0.0, 0.5)", "model.units": "int(interval(32, 128))",
         "model.filters": "range(16, 65, 16)", "trainer.learning_rate": "tag(log, interval(1e-4, 1e-2))",
         "model": "choice(lstm, cnn_lstm)", "embedding.dim": "16,32,64", "model.kernel_size": "range(3, 8, 2)"},
        ["model.units=64,128", "trainer.epochs=2"],
    )
    d = space.distributions
    assert d["model.dropout"] == FloatDistribution(0.0, 0.5)
    assert d["model.units"] == CategoricalDistribution((64, 128))  # the command line wins
    assert d["model.filters"] == IntDistribution(16, 64, step=16)
    assert d["model.kernel_size"] == IntDistribution(3, 7, step=2)
    assert d["trainer.learning_rate"] == FloatDistribution(1e-4, 1e-2, log=True)
    assert d["model"] == CategoricalDistribution(("lstm", "cnn_lstm"))
    assert d["embedding.dim"] == CategoricalDistribution((16, 32, 64))
    assert space.fixed == ["trainer.epochs=2"]
    assert parse_search_space({"model.units": "int(interval(2, 9))"}, []).distributions["model.units"] == IntDistribution(2, 9)


@pytest.mark.parametrize("params, message", [
    ({"model.units": "interval(10, 4)"}, r"interval\(10.0, 4.0\) is empty: it needs low < high"),
    ({"model.units": "range(5, 5)"}, "is empty"),
    ({"trainer.learning_rate": "tag(log, interval(0, 1))"}, "needs a low bound > 0"),
    ({"model.units": "interval(1, "}, "is malformed"),
    ({}, "the search space is empty"),
])
def test_malformed_search_spaces_fail_in_one_line(params, message):
    with pytest.raises(ConfigError, match=message):
        parse_search_space(params, [])


def test_two_sampler_seeds_draw_independent_trials_and_one_seed_repeats_its_own(tmp_path):
    # seed + trial number as the per-trial seed made seed 2's trials seed 1's, shifted by one
    from hydra.utils import instantiate

    from textsweep.config.compose import compose_config
    from textsweep.sweeping.study import make_sampler

    def drawn(seed: int, name: str) -> list[float]:
        cfg = compose_config(["hydra/sweeper=optuna", f"hydra.sweeper.sampler.seed={seed}"], return_hydra_config=True)
        study = optuna.create_study(study_name=name, storage=f"sqlite:///{tmp_path / 'optuna.db'}",
                                    sampler=make_sampler(instantiate(cfg.hydra.sweeper.sampler), 0))
        study.optimize(lambda trial: trial.suggest_float("x", 0, 1), n_trials=6)  # TPE's random start
        return [t.params["x"] for t in study.trials]

    one, two = drawn(1, "one"), drawn(2, "two")
    assert not set(one) & set(two), (one, two)
    assert drawn(1, "one_again") == one


# --- sweeps from the command line ----------------------------------------------------------------------

@pytest.mark.slow
def test_seeded_tpe_sweep_is_reproducible_and_resume_adds_trials(cli, home, tmp_path, client):
    args = ["train", "-m", *OPTUNA, "hydra.sweeper.study_name=s", "model=lstm_dropout", "model.units=4",
            "model.dropout=interval(0.0, 0.5)", "trainer.learning_rate=tag(log, interval(0.001, 0.01))", *TINY]
    first = cli(*args, "hydra.sweeper.n_trials=4")
    assert first.returncode == 0, first.stderr[-3000:]
    other_home = tmp_path / "other"
    other_home.mkdir()
    again = subprocess.run([sys.executable, "-m", "textsweep", *args, "hydra.sweeper.n_trials=4"], cwd=other_home,
                           env=user_env(other_home), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    params = [t.params for t in study_of(home, "s").trials]
    assert params == [t.params for t in study_of(other_home, "s").trials]
    assert params[0] == {"model.dropout": 0.2, "trainer.learning_rate": pytest.approx(0.001)} or params[0]["model.dropout"] == 0.2

    resumed = cli(*args, "hydra.sweeper.n_trials=2")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    trials = study_of(home, "s").trials
    assert [t.number for t in trials] == list(range(6)) and all(t.state.name == "COMPLETE" for t in trials)
    assert [t.params for t in trials[:4]] == params  # nothing done is repeated or lost
    assert all(t.params not in params for t in trials[4:])
    assert "was started with other settings" not in resumed.stderr  # n_trials is not a trial's setting
    # an ad-hoc sweep that joins the study with other settings is told so (and still runs)
    changed = cli(*[a.replace("trainer.epochs=2", "trainer.epochs=1") for a in args], "hydra.sweeper.n_trials=1",
                  "+trainer.epochz=1")  # a typo behind +: said once for the sweep, not once a job
    assert changed.returncode == 0, changed.stderr[-3000:]
    assert len([line for line in changed.stderr.splitlines() if "did you mean trainer.epochs?" in line]) == 1
    [warning] = [line for line in changed.stderr.splitlines() if line.startswith("textsweep: warning: study 's'")]
    assert "trainer.epochs: 2 then, 1 now" in warning and "hydra.sweeper.study_name=<new name>" in warning

    runs = runs_of(client, "textsweep")
    parents = [r for r in runs if r.data.tags.get("textsweep.role") == "sweep"]
    children = [r for r in runs if "mlflow.parentRunId" in r.data.tags and "optuna.trial" in r.data.tags]
    baselines = [r for r in runs if r.data.tags.get("textsweep.role") == "baseline"]
    assert len(parents) == 3 and len(children) == 7
    assert len(baselines) == 1 and baselines[0].info.status == "FINISHED"  # trained once per study, not per invocation
    assert {r.data.tags["mlflow.parentRunId"] for r in children} == {p.info.run_id for p in parents}
    assert sorted(int(r.data.tags["optuna.trial"]) for r in children) == list(range(7))
    assert all(r.data.tags["optuna.study"] == "s" for r in children)
    parent = max(parents, key=lambda r: r.info.start_time)
    assert parent.info.status == "FINISHED" and parent.data.metrics["trials_complete"] == 7
    assert "best.value" in parent.data.tags and "best.run_id" in parent.data.tags
    artifacts = {a.path for a in client.list_artifacts(parent.info.run_id, "sweep")}
    assert {"sweep/trials.csv", "sweep/optimization_history.png", "sweep/parallel_coordinate.png",
            "sweep/param_importances.png"} <= artifacts


@pytest.mark.parametrize("launcher", ["basic", "joblib"])
@pytest.mark.slow
def test_a_weak_trial_is_pruned_through_the_launcher(cli, home, client, launcher):
    (home / "mlruns").mkdir(exist_ok=True)
    study_with_strong_history(f"sqlite:///{home / 'mlruns' / 'optuna.db'}", "prune")
    result = cli("train", "-m", *OPTUNA, f"hydra/launcher={launcher}", "hydra.sweeper.study_name=prune",
                 "hydra.sweeper.n_trials=1", "hydra/sweeper/pruner=median", "hydra.sweeper.pruner.n_startup_trials=2",
                 "model.units=int(interval(4, 16))", *TINY, "trainer.epochs=3")
    assert result.returncode == 0, result.stderr[-3000:]
    trial = study_of(home, "prune").trials[2]
    assert trial.state.name == "PRUNED" and list(trial.intermediate_values) == [0]  # Optuna steps are 0-based epochs
    [run] = [r for r in runs_of(client, "textsweep") if r.data.tags.get("optuna.trial") == "2"]
    assert run.info.status == "FINISHED"
    assert run.data.tags["pruned"] == "true" and run.data.tags["textsweep.pruned_at_epoch"] == "1"
    assert run.data.metrics["epochs_run"] == 1


@pytest.mark.slow
def test_failing_trials_are_marked_with_their_reason_and_the_sweep_goes_on(cli, home, client):
    # A bad value that only a composed trial shows (a batch size of 0) fails that trial, not the sweep.
    result = cli("train", "-m", "hydra/sweeper=optuna", "hydra/sweeper/sampler=grid", "hydra.sweeper.study_name=faults",
                 "hydra.sweeper.n_trials=4", "trainer.learning_rate=1e38,0.01", "trainer.optimizer=sgd", "model.units=4",
                 *TINY, "trainer.batch_size=0,32")
    assert result.returncode == 0, result.stderr[-3000:]
    trials = study_of(home, "faults").trials
    outcome = {(t.params["trainer.batch_size"], t.params["trainer.learning_rate"]): (t.state.name, t.user_attrs.get("fail_reason"))
               for t in trials}
    assert outcome == {
        (0, 1e38): ("FAIL", "ConfigError"), (0, 0.01): ("FAIL", "ConfigError"),
        (32, 1e38): ("FAIL", "nan_loss"), (32, 0.01): ("COMPLETE", None),
    }
    runs = runs_of(client, "textsweep")
    nan_runs = [r for r in runs if r.data.tags.get("textsweep.failure_reason") == "nan_loss"]
    assert len(nan_runs) == 1 and nan_runs[0].info.status == "FAILED"
    assert "lstm failed: trainer.batch_size=0 must be >= 1" in result.stdout  # in the job log, not a traceback


@pytest.mark.slow
def test_a_killed_trial_is_detected_by_heartbeat_and_retried(home, client):
    args = [sys.executable, "-m", "textsweep", "train", "-m", *OPTUNA, "hydra.sweeper.study_name=killed",
            "hydra.sweeper.heartbeat_interval=1", "hydra.sweeper.n_trials=1", "model.units=int(interval(4, 16))",
            "hydra.sweeper.enqueue_baseline=false", "hydra.sweeper.baseline=false", *TINY]
    signal_mid_training([*args, "trainer.epochs=200"], home, client, "textsweep", signal.SIGKILL, timeout=30)
    time.sleep(5)  # past the grace period (4 heartbeats)
    rerun = subprocess.run([*args, "trainer.epochs=1"], cwd=home, env=user_env(home), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    first, retry = study_of(home, "killed").trials
    assert first.state.name == "FAIL" and retry.state.name == "COMPLETE"
    assert retry.params == first.params and retry.system_attrs["failed_trial"] == 0
    killed_run = client.get_run(first.user_attrs["mlflow_run_id"])
    assert killed_run.info.status == "KILLED" and killed_run.data.tags["textsweep.failure_reason"] == "process_lost"


@pytest.mark.slow
def test_two_concurrent_sweep_processes_record_every_trial_once(home, client):
    args = [sys.executable, "-m", "textsweep", "sweep", "quickstart", "--n-trials", "3", *TINY]
    procs = [processes.spawn(args, cwd=home, env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    try:
        outputs = [p.communicate(timeout=processes.patience(400)) for p in procs]
    finally:
        for p in procs:
            processes.stop(p)
    for p, (_, err) in zip(procs, outputs):
        assert p.returncode == 0, err[-3000:]
    trials = study_of(home, "quickstart").trials
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    children = [r for r in runs_of(client, "quickstart_sweep") if "optuna.trial" in r.data.tags]
    assert sorted(int(r.data.tags["optuna.trial"]) for r in children) == list(range(6))


@pytest.mark.slow
def test_sweep_command_status_and_errors(cli, home):
    ran = cli("sweep", "quickstart", "--n-trials", "2", *TINY)
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert "trial 2/2 done: best val_accuracy=" in ran.stdout + ran.stderr
    status = cli("sweep", "status", "quickstart")
    assert status.returncode == 0, status.stderr[-3000:]
    assert "study quickstart (2 trials): complete" in status.stdout and "selected trial #" in status.stdout
    assert re.search(r"linear baseline: val_accuracy \d+\.\d\d %", status.stdout) and "(mean of the same 2 seeds)" in status.stdout
    verdict = [line for line in status.stdout.splitlines() if line.startswith(("selected", "linear", "the "))]
    assert verdict and all(line in ran.stdout for line in verdict)  # the summary printed the same verdict
    assert "MLflow run of the selected trial:" in status.stdout
    compared = cli("compare", "--experiment", "quickstart_sweep", "--no-log")  # and compare, from the parent run's tag
    assert compared.returncode == 0 and all(line in compared.stdout for line in verdict), compared.stdout + compared.stderr[-2000:]
    missing = cli("sweep", "nosuch")
    assert missing.returncode == 2 and "no sweep named 'nosuch'" in missing.stderr and "quickstart" in missing.stderr
    bad = cli("sweep", "quickstart", "--n-trials", "0")
    assert bad.returncode == 2 and "hydra.sweeper.n_trials=0 must be >= 1" in bad.stderr and "Traceback" not in bad.stderr
    empty = cli("train", "-m", "hydra/sweeper=optuna", *TINY)
    assert empty.returncode == 2 and "the search space is empty" in empty.stderr


@pytest.mark.slow
def test_a_sweep_keeps_the_models_of_the_best_trials_only_and_promote_finds_the_best(cli, home, client):
    # tracking.best_models_only (the default): a trial logs its model when none finished before it did better
    # (top 1 without confirmation), so the best trial has one and the rest cost no time or disk
    result = cli("train", "-m", "hydra/sweeper=optuna", "hydra/sweeper/sampler=grid", "hydra.sweeper.study_name=kept",
                 "hydra.sweeper.baseline=false", "model.units=4,6,8,10", *TINY[:-1])
    assert result.returncode == 0, result.stderr[-3000:]
    study = study_of(home, "kept")
    by_run = {t.user_attrs["mlflow_run_id"]: t for t in study.trials}
    runs = sorted((r for r in runs_of(client, "textsweep") if r.info.run_id in by_run), key=lambda r: r.info.end_time)
    assert len(runs) == 4
    best_so_far = None
    for run in runs:
        value = by_run[run.info.run_id].value
        kept = best_so_far is None or value >= best_so_far
        assert ("textsweep.model_uri" in run.data.tags) == kept, (value, best_so_far)
        assert ("textsweep.no_model" in run.data.tags) == (not kept)
        # its accuracy curve PNG comes with its model (tracking.curve_png=null): drawing one cost 0.15-0.25 s
        assert ("accuracy_curve.png" in {a.path for a in client.list_artifacts(run.info.run_id)}) == kept
        best_so_far = value if best_so_far is None else max(best_so_far, value)
    promoted = cli("promote", "kept", "--name", "kept_model")
    assert promoted.returncode == 0, promoted.stderr[-2000:]
    version = client.get_model_version_by_alias("kept_model", "champion")
    assert by_run[version.run_id].value == study.best_value


def test_reused_compose_gives_every_job_the_config_a_full_compose_gives(tmp_path, monkeypatch):
    # The basic launcher's loader composes once per shape of overrides and applies a job's values to a copy:
    # job after job, its config must equal Hydra's own full composition, hydra node included.
    from hydra import initialize_config_dir
    from hydra.core.global_hydra import GlobalHydra
    from hydra.types import HydraContext, RunMode
    from omegaconf import OmegaConf

    from textsweep.sweeping.reused_compose import ReusedCompose
    from hydra_plugins.textsweep_optuna_sweeper.sweeper import OptunaSweeper
    import textsweep.config.schema  # noqa: F401  (the schema and the resolvers conf/config.yaml uses)
    from textsweep.config.paths import config_dir

    monkeypatch.setenv("TEXTSWEEP_HOME", str(tmp_path))
    with initialize_config_dir(config_dir=str(config_dir()), version_base="1.3"):
        loader = GlobalHydra.instance().hydra.config_loader
        master = loader.load_configuration("config", ["hydra/sweeper=optuna", "trainer.epochs=2"], run_mode=RunMode.MULTIRUN)
        sweeper = OptunaSweeper(sampler=None)
        sweeper.hydra_context = HydraContext(config_loader=loader, callbacks=None)
        reused = ReusedCompose(loader, sweeper._shape)
        jobs = [["trainer.epochs=2", f"model={m}", f"model.units={u}", f"model.dropout={d}", f"trainer.optimizer={o}",
                 f"trainer.learning_rate={lr}", f"optuna.study_name=s", f"optuna.trial_number={n}"]
                for n, (m, u, d, o, lr) in enumerate([("cnn_lstm", 8, 0.1, "adam", 0.001), ("cnn_lstm", 16, 0.25, "sgd", 1e-05),
                                                      ("lstm", 4, 0.0, "rmsprop", 0.01), ("cnn_lstm", 32, 0.5, "adam", 0.003)])]
        for job in jobs:
            got, want = reused.load_sweep_config(master, job), loader.load_sweep_config(master, job)
            assert OmegaConf.to_container(got, resolve=False) == OmegaConf.to_container(want, resolve=False), job
            assert got.model.units == want.model.units and got.hydra.job.override_dirname == want.hydra.job.override_dirname
        assert len(reused._composed) == 2  # one composition per group choice, not one per job


@pytest.mark.slow
def test_joblib_launcher_runs_a_batch_of_two_trials_in_parallel(cli, home):
    result = cli("train", "-m", *OPTUNA, "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "hydra.sweeper.n_jobs=2",
                 "hydra.sweeper.n_trials=2", "hydra.sweeper.study_name=par", "model.units=int(interval(4, 16))", *TINY)
    assert result.returncode == 0, result.stderr[-3000:]
    trials = study_of(home, "par").trials
    assert [t.state.name for t in trials] == ["COMPLETE", "COMPLETE"]
    assert "Launching jobs" in result.stdout + result.stderr or "Joblib" in result.stdout + result.stderr


@pytest.mark.slow
def test_sigterm_stops_a_sweep_cleanly_and_the_next_run_continues(home, client):
    args = [sys.executable, "-m", "textsweep", "sweep", "quickstart", *TINY]
    proc = signal_mid_training([*args, "--n-trials", "3", "trainer.epochs=200", "hydra.sweeper.baseline=false"], home, client,
                               "quickstart_sweep", signal.SIGTERM)
    assert proc.returncode != 0
    [trial] = study_of(home, "quickstart").trials
    assert trial.state.name == "FAIL" and trial.user_attrs["fail_reason"] == "interrupted"
    runs = runs_of(client, "quickstart_sweep")
    [parent] = [r for r in runs if r.data.tags.get("textsweep.role") == "sweep"]
    [child] = [r for r in runs if "optuna.trial" in r.data.tags]
    assert parent.info.status == "KILLED" and child.info.status == "KILLED"
    again = subprocess.run([*args, "--n-trials", "1"], cwd=home, env=user_env(home), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    assert [t.state.name for t in study_of(home, "quickstart").trials] == ["FAIL", "COMPLETE"]


@pytest.mark.slow
def test_a_config_error_stops_a_sweep_before_any_trial_and_leaves_the_study_as_it_was(cli, home):
    """The shipped `reviews` sweep without dataset.path, with a wrong column, with a file that is not UTF-8:
    exit 2 and one line each, before any trial, study change or MLflow run (sweeping/preflight.py)."""
    from conftest import write_csv

    (home / "mlruns").mkdir()
    storage = f"sqlite:///{home / 'mlruns' / 'optuna.db'}"
    study = optuna.create_study(study_name="reviews", storage=storage, direction="maximize")
    study.add_trial(optuna.create_trial(params={"model.units": 8}, distributions={"model.units": IntDistribution(4, 16)}, value=0.7))
    csv = write_csv(home / "reviews.csv", [("a fine film", "positive"), ("a dull film", "negative")], header=("text", "label"))
    latin1 = home / "latin1.csv"
    latin1.write_bytes("review,sentiment\ncaf\xe9 film,positive\n".encode("latin-1").replace(b"review", b"r\xe9view"))
    cases = {(): "dataset.path is not set",
             (f"dataset.path={csv}",): "dataset.text_column='review' is not a column of",
             (f"dataset.path={latin1}",): "is not UTF-8"}
    for overrides, message in cases.items():
        result = cli("sweep", "reviews", *overrides, "--n-trials", "1", timeout=120)
        assert result.returncode == 2, result.stderr[-2000:]
        assert result.stderr.strip().splitlines() == [result.stderr.strip()] and message in result.stderr
    assert len(study_of(home, "reviews").trials) == 1  # no FAIL trial was added
    assert not (home / "mlruns" / "mlflow.db").exists()  # and no parent run
