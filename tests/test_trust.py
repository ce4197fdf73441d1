"""Trust (issue 14): untrusted models never run code, no password reaches a log, a killed sweep's trial is
reclaimed at once, concurrent workers draw distinct values, and bad data never trains silently. Real Hydra,
MLflow, Optuna and PostgreSQL in temporary folders; tiny data."""

import json
import os
import pickle
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.distributions import FloatDistribution, IntDistribution

from conftest import free_port, postgres_admin, review_rows, runs_of, signal_mid_training, tiny, user_env, write_csv
from textsweep.errors import ConfigError, DataError

TINY = tiny(epochs=1, log_model=False, explain=0)
OPTUNA = ["hydra/sweeper=optuna", "hydra.sweeper.sampler.n_startup_trials=2", "hydra.sweeper.baseline=false"]


def one_line(stderr: str) -> str:
    """The one error line (log lines of TensorFlow, MLflow or Hydra may come before it; a traceback may not)."""
    lines = [line for line in stderr.strip().splitlines() if line.startswith("textsweep: error: ")]
    assert len(lines) == 1 and "Traceback" not in stderr, stderr[-3000:]
    return lines[0]


# --- untrusted models --------------------------------------------------------------------------------

class _WritesMarker:
    """Unpickling this creates the marker file: proof that code from the model folder ran."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_predict_and_explain_refuse_a_crafted_model_folder_without_unpickling_it(cli, tmp_path):
    folder, marker = tmp_path / "crafted", tmp_path / "PWNED"
    folder.mkdir()
    (folder / "MLmodel").write_text("flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
                                    "    python_model: python_model.pkl\n    cloudpickle_version: 3.0.0\n"
                                    "    env: {}\n")
    (folder / "python_model.pkl").write_bytes(pickle.dumps(_WritesMarker(marker)))
    for command in (["predict", str(folder), "a wonderful film"], ["explain", str(folder), "a wonderful film"]):
        result = cli(*command)
        assert result.returncode == 2
        assert "is not a textsweep model" in one_line(result.stderr)
        assert not marker.exists(), f"{command[0]} ran code from the model folder"


# --- passwords -----------------------------------------------------------------------------------------

def test_mask_secrets_covers_url_passwords_raw_at_query_strings_and_credential_keys():
    from textsweep.config.masking import mask_secrets

    url = "postgresql+psycopg://bob:hun@ter2@db.example:5432/x"
    assert mask_secrets(url) == "postgresql+psycopg://bob:***@db.example:5432/x"
    assert mask_secrets(f'could not translate host name "ter2@db.example" of {url}', url).count("ter2") == 0
    assert mask_secrets("http://h:5000/?password=q1&x=1") == "http://h:5000/?password=***&x=1"
    assert mask_secrets("x?api_key=k1&token=t1") == "x?api_key=***&token=***"
    assert mask_secrets("+tracking.token=abc model.units=4") == "+tracking.token=*** model.units=4"
    assert mask_secrets("  password: 'abc'") == "  password: '***'"
    assert mask_secrets("dataset.max_tokens=5000 sqlite:////a/b.db") == "dataset.max_tokens=5000 sqlite:////a/b.db"


@pytest.fixture
def pg_db():
    """A fresh PostgreSQL database (trust authentication: a password in the URL is ignored by the server)."""
    import uuid

    admin = postgres_admin()
    created = []

    def make() -> str:
        name = f"textsweep_trust_{uuid.uuid4().hex[:10]}"
        admin.execute(f'CREATE DATABASE "{name}"')
        created.append(name)
        return name

    yield make
    for name in created:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.mark.slow
def test_no_password_reaches_params_tags_config_hydra_yaml_or_the_console(home, pg_db):
    import mlflow

    storage = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_db()}?password=QuerySecret1"
    result = subprocess.run(
        [sys.executable, "-m", "textsweep", "train", "-m", *OPTUNA, "hydra.sweeper.n_trials=1",
         "model.units=int(interval(4, 8))", f"hydra.sweeper.storage='{storage}'", f"home={home}",
         "tracking.uri='sqlite:///" + str(home / "mlruns" / "mlflow.db") + "?password=UriSecret2'", *TINY],
        cwd=home, env=user_env(home), capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    secrets = ("QuerySecret1", "UriSecret2")
    console = result.stdout + result.stderr
    assert "#0 :" in console or "Launching" in console  # Hydra's launch line was logged, masked
    assert not [s for s in secrets if s in console]
    client = mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    runs = runs_of(client, "textsweep")
    assert {r.data.tags.get("textsweep.role") for r in runs} >= {"sweep"} and len(runs) >= 2
    for run in runs:
        logged = " ".join([*run.data.params.values(), *run.data.tags.values()])
        assert not [s for s in secrets if s in logged], run.info.run_name
    parent = next(r for r in runs if r.data.tags.get("textsweep.role") == "sweep")
    assert "password=***" in parent.data.params["sweep.fixed"]
    for path in (home / "mlruns").rglob("*.yaml"):
        assert not [s for s in secrets if s in path.read_text()], path
    assert list((home / "mlruns" / "hydra").rglob(".hydra/overrides.yaml"))


def test_a_raw_at_in_a_password_never_shows_its_tail_and_a_dead_server_fails_fast(cli):
    port = free_port()
    started = time.monotonic()
    result = cli("train", f"tracking.uri=postgresql+psycopg://postgres:hunter@TailSecret@127.0.0.1:{port}/db", *TINY)
    assert time.monotonic() - started < 40  # MLflow's own retries took 105 s
    line = one_line(result.stderr)
    assert result.returncode == 2 and "TailSecret" not in result.stderr and "hunter" not in result.stderr
    assert "postgres:***@127.0.0.1" in line and "start the server" in line


# --- MLflow filters -----------------------------------------------------------------------------------

@pytest.mark.slow
def test_quotes_and_bad_filters_in_user_strings_give_one_line_never_a_traceback(cli, client):
    client.create_experiment("it's here")
    cases = [
        (["compare", "--experiment", "it's here", "--sweep", "it's"], "no runs to compare"),
        (["compare", "--experiment", "it's here", "--sweep", "both ' and \""], "holds both"),
        (["compare", "--experiment", "it's here", "--filter", "tags.x = 'unclosed"], "not a valid MLflow filter"),
        (["compare", "--experiment", "it's here", "--filter", "nonsense =="], "not a valid MLflow filter"),
        (["promote", "it's", "--name", "m"], "neither a sweep"),
        (["promote", "it's here", "--name", ""], "not a usable model name"),
        (["promote", "it's here", "--name", "a'b"], "not a usable model name"),
    ]
    for args, expected in cases:
        result = cli(*args)
        assert result.returncode == 2 and expected in one_line(result.stderr), (args, result.stderr[-2000:])


# --- a killed sweep, restarted at once ---------------------------------------------------------------

@pytest.mark.slow
def test_a_sweep_killed_with_sigkill_and_restarted_at_once_reclaims_its_trial_and_runs(home, client):
    study = "it's killed"  # a quote: the study name goes into MLflow filters quoted
    args = [sys.executable, "-m", "textsweep", "train", "-m", *OPTUNA, f'hydra.sweeper.study_name="{study}"',
            "hydra.sweeper.n_trials=1", "model.units=int(interval(4, 16))", "hydra.sweeper.enqueue_baseline=false", *TINY]
    signal_mid_training([*args, "trainer.epochs=200"], home, client, "textsweep", signal.SIGKILL, timeout=30)
    # at once: inside the heartbeat grace period (40 s), so only the dead owner's pid can tell (process_lost)
    rerun = subprocess.run(args, cwd=home, env=user_env(home), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    first, retry = optuna.load_study(study_name=study, storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}").trials
    assert first.state.name == "FAIL" and first.user_attrs["fail_reason"] == "process_lost"
    assert retry.state.name == "COMPLETE" and retry.params == first.params and retry.system_attrs["failed_trial"] == 0
    killed_run = client.get_run(first.user_attrs["mlflow_run_id"])
    assert killed_run.info.status == "KILLED" and killed_run.data.tags["textsweep.failure_reason"] == "process_lost"
    parents = [r for r in runs_of(client, "textsweep") if r.data.tags.get("textsweep.role") == "sweep"]
    assert sorted(r.info.status for r in parents) == ["FINISHED", "KILLED"]  # kill -9: a signal, not an error
    assert not [r for r in runs_of(client, "textsweep") if r.info.status == "RUNNING"]


def test_a_run_that_a_reclaimer_ended_keeps_its_verdict_when_its_own_process_fails_after(client):
    """`sweep status` may reclaim a dead sweep's trial (run KILLED, process_lost) while its worker still trains; the
    worker then fails on the finished trial. That error is a consequence: the run stays KILLED, not FAILED."""
    from textsweep.reclaim import OWNER
    from textsweep.tracking.runs import close_run, mlflow_run

    experiment_id = client.create_experiment("reclaimed")
    with pytest.raises(RuntimeError):
        with mlflow_run(client, experiment_id, "trial", {OWNER: "a worker"}) as run_id:
            close_run(client, run_id, "KILLED", "process_lost")  # what the reclaimer does from another process
            raise RuntimeError("Trial#1 has already finished and can not be updated.")
    run = client.get_run(run_id)
    assert (run.info.status, run.data.tags["textsweep.failure_reason"]) == ("KILLED", "process_lost")
    with pytest.raises(RuntimeError):  # and a run nobody else ended still ends FAILED with its error
        with mlflow_run(client, experiment_id, "trial", {}) as run_id:
            raise RuntimeError("boom")
    assert client.get_run(run_id).info.status == "FAILED"


# --- concurrent workers' samplers ----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["tpe", "random"])
def test_workers_that_start_together_draw_distinct_values_and_one_worker_is_reproducible(tmp_path, name):
    import functools

    from textsweep.sweeping.study import make_sampler

    sampler_class = {"tpe": optuna.samplers.TPESampler, "random": optuna.samplers.RandomSampler}[name]

    def sampler():  # as Hydra builds it from hydra/sweeper/sampler=<name> with seed 42
        return make_sampler(functools.partial(sampler_class, seed=42), 0)

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = {"x": FloatDistribution(0, 1), "n": IntDistribution(1, 10_000)}
    storage = f"sqlite:///{tmp_path / 'o.db'}"
    optuna.create_study(study_name="s", storage=storage)
    workers = [optuna.load_study(study_name="s", storage=storage, sampler=sampler())
               for _ in range(3)]  # three processes that opened the study at the same moment
    drawn = [w.ask(space).params for w in workers for _ in range(2)]
    assert len({(p["x"], p["n"]) for p in drawn}) == len(drawn)

    def one_worker(path: Path) -> list:
        study = optuna.create_study(storage=f"sqlite:///{path}", sampler=sampler())
        values = []
        for _ in range(4):
            trial = study.ask(space)
            study.tell(trial, trial.params["x"])
            values.append(trial.params)
        return values

    assert one_worker(tmp_path / "a.db") == one_worker(tmp_path / "b.db")


# --- the dataset cache's sidecar ---------------------------------------------------------------------

def test_a_tampered_cache_sidecar_is_detected_and_the_entry_rebuilt(compose, home, caplog):
    from textsweep.pipeline.data import load_dataset

    cfg = compose()
    cache = home / "cache"
    first = load_dataset(cfg.dataset, cfg.trainer, 0, cache)
    [sidecar] = cache.glob("*.json")
    for tamper in (lambda m: {**m, "class_names": m["class_names"][::-1]}, lambda m: {**m, "extra": 1},
                   lambda m: {k: v for k, v in m.items() if k != "fingerprint"}):
        meta = json.loads(sidecar.read_text())
        sidecar.write_text(json.dumps(tamper(meta)))
        caplog.clear()
        again = load_dataset(cfg.dataset, cfg.trainer, 0, cache)
        assert not again.from_cache and again.class_names == first.class_names
        assert "failed its checksum" in caplog.text or "unreadable" in caplog.text
        assert load_dataset(cfg.dataset, cfg.trainer, 0, cache).from_cache  # rebuilt intact


# --- CSV checks before training -------------------------------------------------------------------

def _csv_data(compose, path: Path):
    from textsweep.pipeline.data import load_dataset

    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment")
    return load_dataset(cfg.dataset, cfg.trainer, 0, None)


def test_bad_csv_headers_and_labels_are_refused_or_normalised_in_one_line(compose, tmp_path, caplog):
    rows = review_rows(60)
    dup = write_csv(tmp_path / "dup.csv", [(t, y, t) for t, y in rows], header=("review", "sentiment", "review"))
    with pytest.raises(DataError, match="'review' more than once"):
        _csv_data(compose, dup)
    repeated = write_csv(tmp_path / "rep.csv", [*rows[:30], ("review", "sentiment"), *rows[30:]])
    with pytest.raises(DataError, match="repeats its header row at line 32"):
        _csv_data(compose, repeated)
    nan = write_csv(tmp_path / "nan.csv", [*rows, ("a plain text here", "NaN")])
    with pytest.raises(DataError, match="'NaN' mark a missing label"):
        _csv_data(compose, nan)
    numeric = write_csv(tmp_path / "num.csv", [(t, ("1" if i % 2 else "1.0") if y == "positive" else "0")
                                               for i, (t, y) in enumerate(rows)])
    data = _csv_data(compose, numeric)
    assert data.class_names == ["0", "1"] and "read as one class 1" in caplog.text


def test_a_class_too_small_to_split_is_caught_before_training(compose, tmp_path):
    rows = [*review_rows(60), ("a rare neutral text", "neutral")]
    path = write_csv(tmp_path / "rare.csv", rows)
    with pytest.raises(DataError, match="too few rows to split") as e:
        _csv_data(compose, path)
    assert "\n" not in str(e.value)


# --- a full disk -------------------------------------------------------------------------------------

@pytest.mark.slow
def test_a_disk_full_mid_run_ends_the_run_failed_in_one_line(cli, client, small_disk):
    artifacts = small_disk("8k")  # the store has room; the run's artifacts (config, summary, curve) do not
    result = cli("train", f"tracking.artifact_root={artifacts}", *TINY)
    assert result.returncode == 2 and "the disk is full" in one_line(result.stderr)
    [run] = runs_of(client, "textsweep")
    assert run.info.status == "FAILED"


def test_a_disk_full_while_the_store_is_created_leaves_no_half_made_store(cli, home, small_disk):
    store = small_disk("160k")
    uri = f"sqlite:///{store / 'mlflow.db'}"
    result = cli("train", f"tracking.uri={uri}", *TINY)
    line = one_line(result.stderr)
    assert result.returncode == 2 and "the disk is full" in line and "start the server" not in line
    assert not (store / "mlflow.db").exists()


# --- one line instead of a traceback or a misleading line ---------------------------------------------

def test_out_of_range_settings_are_one_line_config_errors(compose):
    import functools

    from textsweep.sweeping.study import make_pruner, make_sampler
    from textsweep.config.validate import validate_config

    for seed in (-1, 2**32):
        with pytest.raises(ConfigError, match=rf"seed={seed} is out of range"):
            validate_config(compose(f"seed={seed}"))
        with pytest.raises(ConfigError, match="sampler.seed"):
            make_sampler(functools.partial(optuna.samplers.TPESampler, seed=seed), 0)
    with pytest.raises(ConfigError, match="hydra.sweeper.pruner .PercentilePruner. rejects its arguments .Percentile must be between 0 and 100"):
        make_pruner({"_target_": "optuna.pruners.PercentilePruner", "percentile": 150})
    with pytest.raises(ConfigError, match="hydra.sweeper.pruner._target_='optuna.samplers.TPESampler' is not a BasePruner"):
        make_pruner({"_target_": "optuna.samplers.TPESampler"})


def test_misleading_lines_now_say_what_is_wrong(cli, home, tmp_path):
    (home / "mlruns").mkdir()
    (home / "mlruns" / "mlflow.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 50)  # truncated
    result = cli("train", *TINY)
    line = one_line(result.stderr)
    assert "damaged or not a database" in line and "start the server" not in line
    result = cli("train", "experiment_name=", *TINY)
    assert "experiment_name is empty" in one_line(result.stderr)
    result = cli("train", "-m", *OPTUNA, "hydra.sweeper.heartbeat_interval=-1", "model.units=int(interval(4, 8))",
                 f"tracking.uri=sqlite:///{tmp_path / 'other.db'}", *TINY)
    assert "heartbeat_interval=-1 must be >= 1" in one_line(result.stderr)


def test_glove_files_with_nan_a_word2vec_header_or_tabs_are_named_for_what_they_are(tmp_path):
    from textsweep.pipeline.embedding import read_glove_file

    cases = {"nan": ("good 0.1 nan 0.3\nbad 0.1 0.2 0.3\n", "NaN or infinite value"),
             "inf": ("good 0.1 inf 0.3\n", "NaN or infinite value"),
             "w2v": ("2 3\ngood 0.1 0.2 0.3\n", "word2vec header"),
             "tabs": ("good\t0.1\t0.2\t0.3\n", "tabs")}
    for name, (text, expected) in cases.items():
        path = tmp_path / f"{name}.txt"
        path.write_text(text)
        with pytest.raises(DataError, match=expected):
            read_glove_file(path, 3, {"good", "bad"})


def test_command_line_mistakes_are_one_line(cli, home):
    result = cli("ui", "--port", "70000")
    assert result.returncode == 2 and "not a TCP port" in result.stderr and "Traceback" not in result.stderr
    proc = subprocess.run(f"{sys.executable} -m textsweep --help | head -1", shell=True, cwd=home, env=user_env(home),
                          capture_output=True, text=True, timeout=60)
    assert proc.stdout.startswith("usage:") and "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


def test_a_non_utf8_file_is_named_with_its_line():
    import io

    from textsweep.errors import TextsweepError
    from textsweep.commands.predict import _decoded_lines

    raw = io.BytesIO("a fine line\ncaf\xe9 au lait\n".encode("latin-1"))
    lines = _decoded_lines(raw, "reviews.txt")
    assert next(lines) == "a fine line\n"
    with pytest.raises(TextsweepError, match=r"--file reviews.txt line 2 is not UTF-8 \(byte 0xe9 at column 4\)"):
        next(lines)


@pytest.mark.slow
def test_a_background_sweep_that_inherited_sigint_ignored_still_stops_on_sigint(home, client):
    args = [sys.executable, "-m", "textsweep", "train", "-m", *OPTUNA, "hydra.sweeper.n_trials=1",
            "model.units=int(interval(4, 8))", *TINY[:-3], "trainer.epochs=200", "tracking.log_model=false"]
    ignore = "import signal, sys, os; signal.signal(signal.SIGINT, signal.SIG_IGN); os.execv(sys.executable, sys.argv[1:])"
    proc = signal_mid_training([sys.executable, "-c", ignore, *args], home, client, "textsweep", signal.SIGINT, timeout=60)
    assert proc.returncode == 130
    assert {r.info.status for r in runs_of(client, "textsweep")} == {"KILLED"}


@pytest.mark.slow
def test_a_run_too_big_for_memory_is_one_line(cli):
    for override, where in (("dataset.maxlen=100000000", "Unable to allocate"), ("model.units=1000000000", "OOM")):
        result = cli("train", override, *TINY[:1], *TINY[2:])
        line = one_line(result.stderr)
        assert result.returncode == 2 and "does not fit in memory" in line and where in line, override


def test_compare_on_a_read_only_store_is_one_line(cli, home, client, small_disk):
    experiment = client.create_experiment("ro")
    run = client.create_run(experiment, run_name="lstm", tags={"textsweep.variant": "lstm"})
    client.log_metric(run.info.run_id, "final_val_accuracy", 0.8)
    client.set_terminated(run.info.run_id, "FINISHED")
    mlruns = home / "mlruns"
    if subprocess.run(["mount", "--bind", "-o", "ro", str(mlruns), str(mlruns)], capture_output=True).returncode:
        if os.environ.get("CI") == "true":  # CI runs as root: a refusal there is a failure, not a skip
            pytest.fail("cannot bind-mount read-only under CI")
        pytest.skip("cannot bind-mount read-only here")
    subprocess.run(["mount", "-o", "remount,bind,ro", str(mlruns)], capture_output=True)
    try:
        result = cli("compare", "--experiment", "ro")
    finally:
        subprocess.run(["umount", "-l", str(mlruns)], capture_output=True)
    assert result.returncode == 2 and "read-only" in one_line(result.stderr)


@pytest.mark.slow
def test_a_single_run_killed_with_sigkill_is_closed_by_the_next_command_on_its_store(home, client, compose):
    from textsweep.tracking.runs import open_experiment

    command = [sys.executable, "-m", "textsweep", "train", *TINY, "trainer.epochs=200"]
    signal_mid_training(command, home, client, "textsweep", signal.SIGKILL, timeout=30)
    [killed] = runs_of(client, "textsweep")
    assert killed.info.status == "RUNNING"  # what kill -9 leaves
    open_experiment(compose())  # any run, sweep or multirun starting on this store
    killed = client.get_run(killed.info.run_id)
    assert killed.info.status == "KILLED" and killed.data.tags["textsweep.failure_reason"] == "process_lost"


@pytest.mark.slow
def test_a_sweep_that_fails_on_its_data_after_the_parent_run_began_leaves_no_run_running(cli, home, client):
    # the header is right (the sweep's preflight passes); the labels are read when the baseline loads the data
    rows = [(t, y.capitalize() if i % 4 == 0 else y) for i, (t, y) in enumerate(review_rows(60))]
    path = write_csv(home / "reviews.csv", rows)
    result = cli("train", "-m", *OPTUNA[:2], "hydra.sweeper.n_trials=1", "model.units=4,8", "dataset=csv",
                 f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment", *TINY)
    assert result.returncode == 2 and "differ only in case" in one_line(result.stderr)
    runs = runs_of(client, "textsweep")
    assert runs and {r.info.status for r in runs} == {"FAILED"}  # the parent began before the baseline failed
    parent = next(r for r in runs if r.data.tags.get("textsweep.role") == "sweep")
    assert "differ only in case" in parent.data.tags["textsweep.failure_message"]


@pytest.mark.slow
def test_a_joblib_sweep_whose_trials_fail_on_the_data_leaves_nothing_running_for_status(cli, home, client):
    # no baseline: the data is first read inside the launcher's workers, after the parent run began
    rows = [(t, y.capitalize() if i % 4 == 0 else y) for i, (t, y) in enumerate(review_rows(60))]
    path = write_csv(home / "reviews.csv", rows)
    result = cli("train", "-m", *OPTUNA, "hydra.sweeper.study_name=bad_data", "hydra.sweeper.n_trials=2",
                 "hydra.sweeper.n_jobs=2", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "model.units=4,8",
                 "dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment", *TINY)
    line = one_line(result.stderr)  # each trial failed on it: the sweep's failure (1), with the data's one line
    assert result.returncode == 1 and "all 2 trial(s)" in line and "differ only in case" in line, line
    runs = runs_of(client, "textsweep")
    assert runs and {r.info.status for r in runs} == {"FAILED"}, [(r.info.run_name, r.info.status) for r in runs]
    trials = optuna.load_study(study_name="bad_data", storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}").trials
    assert trials and {t.state.name for t in trials} == {"FAIL"}
    status = cli("sweep", "status", "bad_data")
    assert status.returncode == 0 and "running 0," in status.stdout, status.stdout + status.stderr[-2000:]


def test_a_failures_line_keeps_the_fix_at_the_end_of_a_long_data_error():
    from textsweep.sweeping.study import failure_line

    path = "/tmp/" + "deep/" * 60 + "reviews.csv"  # a long path before the fix, as on a CI machine
    message = f"dataset.path={path} (column 'sentiment'): labels 'Positive' and 'positive' differ only in case: fix them\nTraceback"
    line = failure_line({"fail_reason": "DataError", "fail_message": message})
    assert line.startswith("DataError: dataset.path=") and line.endswith("differ only in case: fix them"), line
    huge = failure_line({"fail_reason": "ValueError", "fail_message": "x" * 5000})
    assert len(huge) < 700 and huge.endswith("…")  # only a line no terminal shows is cut, and it says so


def test_a_searched_key_added_with_plus_is_a_valid_mlflow_key_in_the_parent_runs_params_and_best_tags(tmp_path):
    """`+model.unitz=choice(1,2)` is a search dimension named with Hydra's +: MLflow refuses '+' in a key, so
    the parent run's `sweep.space.*` params and `best.*` tags take the key without it (a real store)."""
    import mlflow

    from textsweep.config.names import mlflow_key

    assert mlflow_key("+model.unitz") == "model.unitz" and mlflow_key("++trainer.epochs") == "trainer.epochs"
    assert mlflow_key("model.units") == "model.units" and mlflow_key("db@backup.url") == "db_backup.url"
    client = mlflow.MlflowClient(f"sqlite:///{tmp_path / 'mlflow.db'}")
    run_id = client.create_run(client.create_experiment("keys")).info.run_id
    for name in ("+model.unitz", "++trainer.epochs", "db@backup.url"):
        client.log_param(run_id, f"sweep.space.{mlflow_key(name)}", "CategoricalDistribution(choices=(1, 2))")
        client.set_tag(run_id, f"best.{mlflow_key(name)}", "1")
    assert set(client.get_run(run_id).data.params) == {"sweep.space.model.unitz", "sweep.space.trainer.epochs",
                                                       "sweep.space.db_backup.url"}

