"""Shared fixtures: a temporary textsweep home (MLflow store, dataset cache), tiny configs, the CLI."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

import processes
from textsweep.quiet import for_textsweep_commands

for_textsweep_commands()  # quiet TensorFlow start-up, telemetry off, as textsweep's commands do
from textsweep.config.compose import compose_config

REPO = Path(__file__).resolve().parents[1]
# Every process the suite starts inherits this mark, orphans included: the session's last check looks for them.
SESSION_MARK = processes.mark_environment()


@pytest.fixture(scope="session", autouse=True)
def no_process_outlives_the_suite():
    """Fails the session (an error at the teardown of its last test) if a process the suite started is still
    alive at the end, after a grace for servers told to stop; the leftovers are killed, then listed."""
    yield
    left = processes.end_leftovers(SESSION_MARK)
    if left:
        listing = "\n".join(f"  {pid}: {command[:200]}" for pid, command in sorted(left.items()))
        pytest.fail(f"{len(left)} process(es) started by the suite outlived it (killed now):\n{listing}", pytrace=False)

# Small enough for 2 CPU cores: a few hundred texts, short sequences, narrow layers.
def tiny(epochs: int = 1, samples: int = 300, maxlen: int = 16, max_words: int = 14, dim: int = 4,
         log_model: bool = True, explain: int | None = None) -> list[str]:
    """The one place for the tiny settings of the tests: data, model width, epochs, what is logged."""
    overrides = [f"dataset.num_samples={samples}", f"dataset.maxlen={maxlen}", "dataset.min_words=6",
                 f"dataset.max_words={max_words}", f"embedding.dim={dim}", f"trainer.epochs={epochs}",
                 "trainer.batch_size=32", "trainer.verbose=0"]
    if not log_model:
        overrides.append("tracking.log_model=false")
    if explain is not None:
        overrides.append(f"tracking.explain_examples={explain}")
    return overrides


TINY = tiny(samples=400, maxlen=24, max_words=20, dim=8)


@pytest.fixture
def home(tmp_path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


@pytest.fixture
def compose(home):
    def _compose(*overrides: str, tiny: bool = True):
        return compose_config([f"home={home}", *(TINY if tiny else []), *overrides])
    return _compose


@pytest.fixture
def client(home):
    import mlflow

    return mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")


def runs_of(client, experiment_name: str):
    experiment = client.get_experiment_by_name(experiment_name)
    return [] if experiment is None else client.search_runs([experiment.experiment_id])


def user_env(home: Path) -> dict:
    """The environment of a user's shell: mlflow.set_tracking_uri in this process exports
    MLFLOW_TRACKING_URI, which a user's shell does not have."""
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TEXTSWEEP_HOME"] = str(home)
    return env


@pytest.fixture
def cli(home):
    """Run the installed `textsweep` command in `home` as a user would; returns CompletedProcess."""
    def _cli(*args: str, timeout: int = 600, cwd: Path | None = None) -> subprocess.CompletedProcess:
        return processes.run([sys.executable, "-m", "textsweep", *args], cwd=cwd or home, env=user_env(home), timeout=timeout)
    return _cli


def write_csv(path: Path, rows: list[tuple], header=("review", "sentiment")) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def review_rows(n: int, seed: int = 0, classes=("negative", "positive")) -> list[tuple[str, str]]:
    """Review-like rows from the synthetic generator (labels by name), for CSV tests."""
    from textsweep.pipeline.datasets.synthetic import make_texts

    texts, labels = make_texts(n, 6, 20, seed)
    if len(classes) == 2:
        return [(t, classes[y]) for t, y in zip(texts, labels)]
    # a third class: texts with a marker word, so it is learnable
    return [(t + " neutral" * (i % 3 == 2), classes[2] if i % 3 == 2 else classes[y])
            for i, (t, y) in enumerate(zip(texts, labels))]


def wait_until_training(client, home: Path, experiment_name: str, proc, ceiling: float = 120) -> None:
    """Block until a run of the experiment has finished an epoch (so a signal lands mid-training); a sweep's
    linear-baseline run, which trains first, does not count. The ceiling stretches with the machine's load."""
    def training() -> bool:
        runs = runs_of(client, experiment_name) if (home / "mlruns" / "mlflow.db").exists() else []
        return any(client.get_metric_history(r.info.run_id, "val_accuracy") for r in runs
                   if r.info.status == "RUNNING" and r.data.tags.get("textsweep.role") != "baseline")

    processes.wait_until(training, "a run finishing its first epoch", proc=proc, ceiling=ceiling)


def signal_mid_training(command: list[str], home: Path, client, experiment_name: str, signum: int,
                        timeout: float = 60):
    """Start the command as a user would, send `signum` once it has finished an epoch, and wait for it to
    end; returns the finished Popen (returncode set). If it does not end, the failure shows where every
    thread of it was (faulthandler, on SIGABRT) and the end of its output."""
    import signal

    log = home / "signalled-command.log"
    with log.open("w") as out:
        proc = processes.spawn(command, cwd=home, env={**user_env(home), "PYTHONFAULTHANDLER": "1"}, stdout=out,
                              stderr=subprocess.STDOUT)
        try:
            wait_until_training(client, home, experiment_name, proc)
            proc.send_signal(signum)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGABRT)
                proc.wait(timeout=10)
                raise AssertionError(f"still running {timeout} s after signal {signum}; its threads and output:\n"
                                     f"{log.read_text(errors='replace')[-8000:]}") from None
        finally:
            processes.stop(proc, grace=0)
    return proc


def study_with_strong_history(storage_url: str, name: str) -> None:
    """Two finished trials that scored 0.99 at every epoch: any new trial on tiny data falls below their
    median at its first epoch, so a median pruner prunes it there."""
    import optuna
    from optuna.distributions import IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(study_name=name, storage=storage_url, direction="maximize")
    for units in (5, 6):
        study.add_trial(optuna.create_trial(params={"model.units": units}, distributions={"model.units": IntDistribution(4, 16)},
                                            value=0.99, intermediate_values={0: 0.99, 1: 0.99, 2: 0.99}))


@pytest.fixture
def small_disk(tmp_path):
    """make(size) -> a folder on a size-limited tmpfs (mounting needs root, which CI has). Outside CI a machine
    that cannot mount skips the test; under CI=true it must mount, so a refusal fails."""
    mounts = []

    def make(size: str) -> Path:
        folder = tmp_path / f"disk{len(mounts)}"
        folder.mkdir()
        result = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True)
        if result.returncode != 0:
            why = f"cannot mount a tmpfs here ({result.stderr.decode().strip()[:100]})"
            if os.environ.get("CI") == "true":
                pytest.fail(why)
            pytest.skip(why)
        mounts.append(folder)
        return folder

    yield make
    for folder in mounts:
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


def fill_disk(folder: Path) -> Path:
    """Take every free byte of the file system under `folder` (a full disk from now on); returns the filler,
    whose removal frees the space again."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 16, 1 << 12, 1):  # big blocks, then whatever is left
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:  # ENOSPC: full at this block size
                pass
    finally:
        os.close(fd)
    return filler


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_admin():
    """An autocommit connection to the local PostgreSQL server as its admin. Outside CI a machine without the
    server skips the test; under CI=true it must be there, so a missing server fails."""
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as e:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip(f"no PostgreSQL at 127.0.0.1:5432 ({e})")
