"""Scale: W sweep workers on one PostgreSQL study and one `mlflow server`, all on loopback.

    python bench/scale.py --workers 16 --trials 2000 --objective fake [--storage URL] [--tracking-uri URL] \
        [--runs 10000] [--json scale.json]

Each worker is a real Hydra multirun with textsweep's sweeper (`hydra/sweeper=optuna`, successive halving,
heartbeats, a parent run per invocation, one MLflow run per trial):
- `--objective fake`: bench/scale_app.py, textsweep's own app with a known learning curve in place of the
  training (no TensorFlow): what is measured is the framework alone;
- `--objective tiny`: `textsweep train -m` with real tiny training on the synthetic data, to check that the
  fake mode tells the truth.
Without URLs it creates its own PostgreSQL databases on 127.0.0.1:5432 (user postgres, trust auth), starts
its own `mlflow server` on them, and drops and stops both at the end. `--runs N` tops the MLflow store up
with plain runs (per-epoch metrics, params) until it holds N, before the commands are timed.

It prints one JSON summary: trials done, lost (started but never finished), duplicate parameter sets and
trial numbers, RUNNING left (Optuna and MLflow), per-trial figures around trials 100, 500, 1,000 and 2,000
(the time study.ask took, as the sweeper records it on the trial; the time from the trial's creation to its
job's start; and the overhead, a worker's time between two trials' ends minus the objective's own time), the
databases' sizes, and the wall time of `sweep status`, `compare` and `promote` on the final stores (min and
median of --repeat runs). `--commands-only` times the commands alone, on stores bench/scale_store.py filled.
"""

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
CHECKPOINTS = (100, 500, 1000, 2000)
STUDY, EXPERIMENT = "scale", "scale"
SPACE = ["model.units=int(interval(8, 256))", "trainer.learning_rate=tag(log, interval(0.0001, 0.01))",
         "trainer.batch_size=choice(16, 32, 64, 128)"]


def create_database(admin) -> str:
    name = f"textsweep_scale_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    EMPTY_BYTES[name] = admin.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0]
    return name


EMPTY_BYTES: dict[str, int] = {}  # a new database's own size (PostgreSQL's catalog), subtracted from what it grows to


def start_server(backend: str, artifacts: Path, port: int, workers: int) -> subprocess.Popen:
    proc = subprocess.Popen([str(BIN / "mlflow"), "server", "--backend-store-uri", backend, "--artifacts-destination",
                             str(artifacts), "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300  # a busy 2-core machine: the server takes 15-60 s to answer
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"mlflow server exited with {proc.returncode} before answering")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    stop_group(proc)
    raise SystemExit("mlflow server did not answer /health in 300 s")


def stop_group(proc: subprocess.Popen) -> None:
    """The process and everything it started (the server's uvicorn workers)."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def worker_command(objective: str, storage: str, tracking: str, n_trials: int, epochs: int, sweep_dir: Path) -> list[str]:
    common = ["-m", "hydra/sweeper=optuna", "hydra/sweeper/pruner=successive_halving", f"hydra.sweeper.storage={storage}",
              f"hydra.sweeper.study_name={STUDY}", f"hydra.sweeper.n_trials={n_trials}", "hydra.sweeper.baseline=false",
              "tracking=server", f"tracking.uri={tracking}", f"experiment_name={EXPERIMENT}", f"trainer.epochs={epochs}",
              f"hydra.sweep.dir={sweep_dir}", *SPACE]
    if objective == "fake":
        return [sys.executable, str(ROOT / "bench" / "scale_app.py"), *common]
    tiny = ["dataset.num_samples=300", "dataset.maxlen=16", "dataset.max_tokens=14", "embedding.dim=4",
            "tracking.log_model=false", "trainer.early_stopping.enabled=false"]
    return [str(BIN / "textsweep"), "train", *common, *tiny]


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    values = sorted(values)
    pick = lambda q: values[min(len(values) - 1, int(q * len(values)))]  # noqa: E731
    return {"n": len(values), "p50": round(pick(0.5), 4), "p95": round(pick(0.95), 4)}


def training_seconds(client, experiment_id: str) -> dict[int, float]:
    """--objective tiny: each trial's own objective time, as its run logged it (train_time_s + time_evaluate_s: the fit
    and the evaluation). What is left of a trial's time is the framework's, as the fake objective's sleep leaves it."""
    seconds = {}
    for r in client.search_runs([experiment_id], "tags.`optuna.trial` != ''", max_results=50000):
        m = r.data.metrics
        seconds[int(r.data.tags["optuna.trial"])] = m.get("train_time_s", 0.0) + m.get("time_evaluate_s", 0.0)
    return seconds


def per_trial_figures(trials, objective_s: dict[int, float] | None = None) -> dict:
    """Around each checkpoint (trials numbered within ±5 % of it): the time study.ask took (the sweeper records it),
    creation-to-job-start and overhead (a trial's objective time: the fake objective's sleep, or `objective_s`)."""
    by_owner = defaultdict(list)
    for t in trials:
        if t.datetime_complete is not None and "textsweep.owner" in t.user_attrs:
            by_owner[t.user_attrs["textsweep.owner"]].append(t)
    overhead = {}  # trial number -> the worker's wall between the previous trial's end and this one's, minus sleep
    for owned in by_owner.values():
        owned.sort(key=lambda t: t.datetime_complete)
        for before, t in zip(owned, owned[1:]):
            gap = (t.datetime_complete - before.datetime_complete).total_seconds()
            objective = (objective_s or {}).get(t.number, t.user_attrs.get("bench.objective_s", 0.0))
            overhead[t.number] = gap - float(objective)
    start_lag = {t.number: t.user_attrs["bench.job_start"] - t.datetime_start.timestamp() for t in trials
                 if "bench.job_start" in t.user_attrs and t.datetime_start is not None}
    from textsweep.sweeping.policy import ASK_ATTR

    asked = {t.number: float(t.user_attrs[ASK_ATTR]) for t in trials if ASK_ATTR in t.user_attrs}
    figures = {}
    for point in [c for c in CHECKPOINTS if c <= len(trials)] or [len(trials)]:
        window = range(max(0, point - max(5, point // 20)), point + max(5, point // 20))
        figures[str(point)] = {"ask_s": percentiles([asked[n] for n in window if n in asked]),
                               "creation_to_job_start_s": percentiles([start_lag[n] for n in window if n in start_lag]),
                               "overhead_s": percentiles([overhead[n] for n in window if n in overhead])}
    return figures


def top_up_runs(tracking: str, wanted: int, epochs: int) -> int:
    """Plain finished runs with per-epoch metrics and params until the experiment holds `wanted` runs."""
    import mlflow

    from scale_store import config_params, plain_run_specs, write_runs

    client = mlflow.MlflowClient(tracking)
    experiment_id = client.get_experiment_by_name(EXPERIMENT).experiment_id
    have = len(client.search_runs([experiment_id], max_results=50000, run_view_type=1))
    missing = max(0, wanted - have)
    write_runs(tracking, experiment_id, plain_run_specs(missing, have, int(time.time() * 1000) - 1000 * missing, epochs),
               config_params(), epochs)
    return missing


def timed(command: list[str], env: dict) -> dict:
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    return {"seconds": round(time.perf_counter() - started, 2), "rc": done.returncode,
            "error": done.stderr.strip().splitlines()[-1][:300] if done.returncode and done.stderr.strip() else None}


def read_commands(storage: str, tracking: str) -> dict[str, list[str]]:
    """The commands a person runs on a sweep's stores, as they would type them."""
    textsweep = str(BIN / "textsweep")
    return {"sweep status": [textsweep, "sweep", "status", STUDY, "--storage", storage],
            "compare": [textsweep, "compare", "--experiment", EXPERIMENT, "--tracking-uri", tracking, "--no-log"],
            "compare --sweep": [textsweep, "compare", "--experiment", EXPERIMENT, "--sweep", STUDY, "--tracking-uri",
                                tracking, "--no-log"],
            "promote": [textsweep, "promote", STUDY, "--name", "scale-model", "--tracking-uri", tracking]}


def time_commands(storage: str, tracking: str, envs: dict[str, dict], repeat: int, only=None) -> dict:
    """Each command `repeat` times under each environment (e.g. this tree and a baseline's source), interleaved
    so that a load that changes meanwhile touches all alike: min and median per command and environment."""
    commands = {name: line for name, line in read_commands(storage, tracking).items() if only is None or name in only}
    results = {(label, name): [] for label in envs for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            for label, env in envs.items():
                results[(label, name)].append(timed(command, env))
    summary = {label: {} for label in envs}
    for (label, name), runs in results.items():
        seconds = sorted(r["seconds"] for r in runs)
        failed = next((r for r in runs if r["rc"]), None)
        summary[label][name] = {"min_s": seconds[0], "median_s": seconds[len(seconds) // 2], "runs": len(runs),
                                "rc": failed["rc"] if failed else 0, "error": failed["error"] if failed else None}
    return summary


def load_average() -> float:
    return round(os.getloadavg()[0], 1)


def finished_trials(storage: str) -> int | None:
    """Trials that have ended, read with one SQL count (Optuna's schema) so that polling costs nothing; None
    while the database does not answer."""
    import psycopg

    dsn = storage.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(dsn, connect_timeout=3) as db:
            return db.execute("SELECT count(*) FROM trials WHERE state IN ('COMPLETE', 'PRUNED', 'FAIL')").fetchone()[0]
    except psycopg.Error:
        return None


def inject_fault(args, private, server, storage: str, at_trials: int, procs) -> dict:
    """Wait until `at_trials` trials have ended, then restart PostgreSQL (pg_ctl restart -m fast: every
    connection cut, open transactions rolled back) or kill the mlflow server's process group with SIGKILL (its
    caller starts it again, on the same port and database). What it returns goes into the summary."""
    began = time.perf_counter()
    while (finished_trials(storage) or 0) < at_trials and any(proc.poll() is None for proc, _ in procs):
        time.sleep(1)
    at = {"kind": args.fault, "at_trials": finished_trials(storage), "at_s": round(time.perf_counter() - began, 1)}
    hit = time.perf_counter()
    if args.fault == "db-restart":
        private.restart()
    else:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
    at["down_s"] = round(time.perf_counter() - hit, 1)  # a server restart: the caller's start_server adds its own time
    return at


def run_statuses(client, experiment_id: str) -> dict:
    """MLflow runs of the experiment by status, and the failure reasons textsweep tagged."""
    runs = client.search_runs([experiment_id], max_results=50000)
    reasons = Counter(r.data.tags.get("textsweep.failure_reason") for r in runs if r.info.status != "FINISHED")
    return {"by_status": dict(Counter(r.info.status for r in runs)), "failure_reasons": {str(k): v for k, v in reasons.items()}}


def database_bytes(admin, url: str) -> int | None:
    if not url.startswith("postgresql"):
        return None
    name = url.rsplit("/", 1)[-1].split("?")[0]
    return admin.execute("SELECT pg_database_size(%s)", (name,)).fetchone()[0] - EMPTY_BYTES.get(name, 0)


def commands_only(args) -> int:
    if not (args.storage and args.tracking_uri):
        raise SystemExit("--commands-only times the commands on existing stores: pass --storage and --tracking-uri")
    env = {**os.environ, "TEXTSWEEP_HOME": tempfile.mkdtemp(prefix="textsweep-scale-")}
    envs = {"this": env}
    if args.baseline_src:  # the same commands run from another textsweep source (PYTHONPATH comes first)
        envs["baseline"] = {**env, "PYTHONPATH": str(Path(args.baseline_src).resolve())}
    load_before = load_average()
    timings = time_commands(args.storage, args.tracking_uri, envs, args.repeat,
                            args.commands.split(",") if args.commands else None)
    summary = {"date": time.strftime("%Y-%m-%d %H:%M"), "commands_s": timings, "load_average": [load_before, load_average()]}
    if args.baseline_src:
        summary["ratio_this_to_baseline_median"] = {
            name: round(t["median_s"] / timings["baseline"][name]["median_s"], 2) for name, t in timings["this"].items()}
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workers", type=int, default=16)
    p.add_argument("--trials", type=int, default=2000, help="trials in all, split evenly over the workers")
    p.add_argument("--objective", choices=("fake", "tiny"), default="fake")
    p.add_argument("--epochs", type=int, default=4, help="epochs a trial may run (successive halving cuts most)")
    p.add_argument("--epoch-seconds", type=float, default=0.05, help="the fake objective's sleep per epoch")
    p.add_argument("--storage", help="an Optuna storage URL (default: a new PostgreSQL database, dropped after)")
    p.add_argument("--tracking-uri", help="an MLflow tracking URI (default: a new mlflow server on a new database)")
    p.add_argument("--server-workers", type=int, default=4, help="mlflow server --workers, when the bench starts it")
    p.add_argument("--runs", type=int, default=0, help="top the MLflow experiment up to this many runs before timing commands")
    p.add_argument("--repeat", type=int, default=3, help="times each command is timed (min and median reported)")
    p.add_argument("--commands-only", action="store_true",
                   help="no sweep: time the commands on the stores --storage and --tracking-uri name (bench/scale_store.py fills them)")
    p.add_argument("--private-postgres", action="store_true",
                   help="a PostgreSQL instance of the bench's own (initdb in a temporary folder, its own port) in place of 127.0.0.1:5432")
    p.add_argument("--fault", choices=("db-restart", "server-restart"),
                   help="mid-sweep: restart the (private) PostgreSQL, or kill -9 the mlflow server and start it again")
    p.add_argument("--fault-at", type=float, default=0.4, help="the fault comes when this share of the trials has finished")
    p.add_argument("--worker-timeout", type=float, default=3600, help="a worker still running after this long is hung: killed, counted")
    p.add_argument("--baseline-src", help="with --commands-only: also time the commands from this textsweep source folder "
                   "(e.g. `git archive main | tar -x -C DIR`, then DIR/src: conf/ beside it), interleaved, and give the ratios")
    p.add_argument("--commands", help="with --commands-only: only these, comma-separated (e.g. 'sweep status,promote')")
    p.add_argument("--json", help="also write the summary here")
    args = p.parse_args()
    if args.fault == "db-restart" and args.storage:
        p.error("--fault db-restart restarts the bench's own PostgreSQL: leave --storage out")
    if args.fault == "server-restart" and args.tracking_uri:
        p.error("--fault server-restart restarts the bench's own mlflow server: leave --tracking-uri out")

    if args.commands_only:
        return commands_only(args)
    import optuna
    import psycopg

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    private = None
    if args.private_postgres or args.fault == "db-restart":
        from private_postgres import PrivatePostgres

        private = PrivatePostgres().start()
    admin_dsn, pg_port = (private.admin_dsn(), private.port) if private else (ADMIN, 5432)
    admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5)
    made, server, backend = [], None, None
    work = Path(tempfile.mkdtemp(prefix="textsweep-scale-"))
    try:
        storage = args.storage
        if storage is None:
            made.append(create_database(admin))
            storage = f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/{made[-1]}"
        tracking = args.tracking_uri
        if tracking is None:
            made.append(create_database(admin))
            backend = f"postgresql+psycopg://postgres@127.0.0.1:{pg_port}/{made[-1]}"
            port = free_port()
            server = start_server(backend, work / "artifacts", port, args.server_workers)
            tracking = f"http://127.0.0.1:{port}"
        env = {**os.environ, "TEXTSWEEP_HOME": str(work), "SCALE_EPOCH_S": str(args.epoch_seconds),
               "PYTHONUNBUFFERED": "1"}
        per_worker = math.ceil(args.trials / args.workers)
        started = time.perf_counter()
        procs = []
        for i in range(args.workers):
            log = open(work / f"worker{i}.log", "w")
            procs.append((subprocess.Popen(worker_command(args.objective, storage, tracking, per_worker, args.epochs,
                                                          work / f"sweep{i}"),
                                           cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT), log))
        fault = None
        if args.fault:
            fault = inject_fault(args, private, server, storage, math.ceil(args.fault_at * per_worker * args.workers), procs)
            if args.fault == "db-restart":  # the restart cut the bench's own connection too
                admin = psycopg.connect(admin_dsn, autocommit=True, connect_timeout=30)
            if args.fault == "server-restart":
                server = start_server(backend, work / "artifacts", port, args.server_workers)
        codes, hung = [], 0
        for proc, log in procs:
            try:
                codes.append(proc.wait(timeout=max(1.0, args.worker_timeout - (time.perf_counter() - started))))
            except subprocess.TimeoutExpired:
                hung += 1
                proc.kill()
                codes.append(proc.wait())
            log.close()
        sweep_wall = time.perf_counter() - started

        study = optuna.load_study(study_name=STUDY, storage=storage)
        trials = study.get_trials(deepcopy=False)
        states = Counter(t.state.name for t in trials)
        params = Counter(tuple(sorted(t.params.items())) for t in trials if t.params)
        import mlflow

        client = mlflow.MlflowClient(tracking)
        experiment_id = client.get_experiment_by_name(EXPERIMENT).experiment_id
        running_runs = len(client.search_runs([experiment_id], "attributes.status = 'RUNNING'", max_results=50000))
        statuses = run_statuses(client, experiment_id)  # before any top-up
        added = top_up_runs(tracking, args.runs, args.epochs) if args.runs else 0
        total_runs = len(client.search_runs([experiment_id], max_results=50000, run_view_type=1))
        done = states["COMPLETE"] + states["PRUNED"]
        load_before = load_average()
        commands = time_commands(storage, tracking, {"this": env}, args.repeat)["this"]
        optuna_bytes = database_bytes(admin, storage)
        mlflow_bytes = database_bytes(admin, backend) if args.tracking_uri is None else None
        summary = {
            "date": time.strftime("%Y-%m-%d %H:%M"), "objective": args.objective, "workers": args.workers,
            "trials_asked": per_worker * args.workers, "epochs": args.epochs, "epoch_seconds": args.epoch_seconds,
            "worker_exit_codes": dict(Counter(codes)), "workers_hung": hung, "sweep_wall_s": round(sweep_wall, 1),
            "fault": fault, "fail_reasons": dict(Counter(t.user_attrs.get("fail_reason", "?") for t in trials
                                                          if t.state.name == "FAIL")),
            "retried": sum(1 for t in trials if "failed_trial" in t.system_attrs),
            "mlflow_statuses": statuses,
            "trials_done": done, "states": dict(states),
            "lost": states["RUNNING"] + states["WAITING"] + sum(
                1 for t in trials if t.state.name == "FAIL" and t.user_attrs.get("fail_reason") == "process_lost"),
            "duplicate_parameter_sets": sum(n - 1 for n in params.values() if n > 1),
            "duplicate_trial_numbers": len(trials) - len({t.number for t in trials}),
            "running_left": {"optuna": states["RUNNING"], "mlflow": running_runs},
            "per_trial": per_trial_figures(trials, training_seconds(client, experiment_id) if args.objective == "tiny" else None),
            "mlflow_runs": total_runs, "runs_added": added,
            "bytes": {"optuna": optuna_bytes, "mlflow": mlflow_bytes,
                      "optuna_per_trial": round(optuna_bytes / len(trials)) if optuna_bytes and trials else None,
                      "mlflow_per_run": round(mlflow_bytes / total_runs) if mlflow_bytes and total_runs else None},
            "commands_s": commands, "load_average": [load_before, load_average()],
            "logs": str(work),
        }
        text = json.dumps(summary, indent=2)
        print(text)
        if args.json:
            Path(args.json).write_text(text + "\n")
        return 0
    finally:  # each step on its own: one failing must not leave a server or a database behind
        if server is not None:
            stop_group(server)
        try:
            with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=30) as cleaner:
                for name in made:
                    cleaner.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            if private is not None:
                private.stop()


if __name__ == "__main__":
    sys.exit(main())
