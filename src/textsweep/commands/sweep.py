"""`textsweep sweep NAME [--n-trials N] [--timeout S] [overrides]` and `textsweep sweep status NAME`.

A sweep is a definition in sweeps/NAME.yaml run through Hydra: `textsweep sweep imdb_lstm` is
`textsweep train -m +sweeps=imdb_lstm`. One invocation adds --n-trials trials to the persistent study,
which is what a scheduled job runs. Exit status: 0 when trials ran (pruned ones included), 2 for a
configuration or storage error, 1 when every trial failed.
"""

import sys
from pathlib import Path

from textsweep.config.sweep_files import check_sweep_file
from textsweep.errors import ConfigError, NotFound

USAGE = """usage: textsweep sweep NAME [--n-trials N] [--timeout SECONDS] [hydra overrides...]
       textsweep sweep status NAME [--format table|md|csv|json] [--storage URL]   (--help for more)
       textsweep sweep list"""


def sweeps_dirs() -> list[Path]:
    """Where sweep definitions are looked up, in order: the project's own sweeps/, then textsweep's."""
    from textsweep.config.paths import shipped_sweeps_dir, user_sweeps_dir

    return [d for d in (user_sweeps_dir(), shipped_sweeps_dir()) if d is not None]


def available() -> list[str]:
    return sorted({p.stem for d in sweeps_dirs() for p in d.glob("*.yaml")})


def _check_name(name: str) -> None:
    if name not in available():
        where = " and ".join(str(d) for d in sweeps_dirs())
        raise ConfigError(f"no sweep named {name!r} in {where}: use one of {', '.join(available())}, "
                          f"or write sweeps/{name}.yaml in your project folder")


def _sweep_path(name: str) -> Path:
    """The file a sweep name resolves to (the project's sweeps/ first, as Hydra searches)."""
    return next(d / f"{name}.yaml" for d in sweeps_dirs() if (d / f"{name}.yaml").is_file())


def _split_options(args: list[str]) -> tuple[list[str], list[str]]:
    """--n-trials/--timeout become Hydra overrides; the rest pass through."""
    overrides, rest = [], []
    it = iter(args)
    for arg in it:
        for flag, key in (("--n-trials", "hydra.sweeper.n_trials"), ("--timeout", "hydra.sweeper.timeout")):
            if arg == flag or arg.startswith(flag + "="):
                value = arg.split("=", 1)[1] if "=" in arg else next(it, None)
                if value is None:
                    raise ConfigError(f"{flag} needs a value, e.g. {flag} 10")
                overrides.append(f"{key}={value}")
                break
        else:
            rest.append(arg)
    return overrides, rest


def sweep_file(path: str) -> str:
    """`textsweep sweep path/to/my_sweep.yaml`: a sweep definition anywhere, run as +sweeps=<its name> from a
    private copy that the user-sweeps resolver puts first on Hydra's search path. Returns the name."""
    import atexit
    import os
    import shutil
    import tempfile

    from textsweep.config.paths import SWEEP_FILE_ROOT_ENV

    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"sweep file {path} does not exist: give a sweeps/*.yaml path or a sweep name ({', '.join(available())})")
    check_sweep_file(source)
    root = Path(tempfile.mkdtemp(prefix="textsweep-sweep-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    (root / "sweeps").mkdir()
    shutil.copyfile(source, root / "sweeps" / f"{source.stem}.yaml")
    os.environ[SWEEP_FILE_ROOT_ENV] = str(root)  # launchers' worker processes inherit it
    return source.stem


def run_sweep(name: str, args: list[str]) -> int:
    if name.endswith((".yaml", ".yml")) or "/" in name:
        name = sweep_file(name)
    _check_name(name)
    check_sweep_file(_sweep_path(name))
    options, overrides = _split_options(args)
    sys.argv = ["textsweep sweep", "-m", f"+sweeps={name}", *options, *overrides]
    from textsweep.train import main as train_main

    train_main()
    return 0


STATUS_USAGE = """usage: textsweep sweep status NAME [--format table|md|csv|json] [--wide] [--storage URL] [hydra overrides...]

The trials of a study as a table: number, state, params, value, epochs, duration; then the best trial
and the last failures. NAME is a shipped sweep (sweeps/NAME.yaml: its storage and study name) or any
study in the storage (default: mlruns/optuna.db under $TEXTSWEEP_HOME or the current folder).
Read-only: a missing storage or study is reported (exit 2), never created. It writes one thing: trials and
runs left RUNNING by a sweep process of this host that is gone (kill -9) end as the next sweep would end them.

  --format F     table (default), md, csv or json: the trials table only, for scripts
  --wide         shorten nothing in the table (as when the output is a file or a pipe)
  --storage URL  an Optuna storage URL, e.g. postgresql://host/db (default: the sweep's, else the local one)"""


def _status_options(args: list[str]) -> tuple[str, str | None, list[str], bool]:
    fmt, storage, rest, wide = "table", None, [], False
    it = iter(args)
    for arg in it:
        if arg == "--wide":
            wide = True
            continue
        for flag in ("--format", "--storage"):
            if arg == flag or arg.startswith(flag + "="):
                value = arg.split("=", 1)[1] if "=" in arg else next(it, None)
                if value is None:
                    raise ConfigError(f"{flag} needs a value (textsweep sweep status --help)")
                if flag == "--format":
                    fmt = value
                else:
                    storage = value
                break
        else:
            rest.append(arg)
    if fmt not in STATUS_FORMATS:
        raise ConfigError(f"--format {fmt!r} is not valid: use one of {', '.join(STATUS_FORMATS)}")
    return fmt, storage, rest, wide


STATUS_FORMATS = ("table", "md", "csv", "json")


def _where_study(name: str, storage: str | None, overrides: list[str]) -> dict:
    """Where the study is and how its sweep retries a trial: a shipped sweep's settings, else any study by name with
    the sweeper's defaults. Keys: url, study_name, objective, tracking_uri, heartbeat_interval, max_retries."""
    from hydra_plugins.textsweep_optuna_sweeper.config import OptunaSweeperConf

    from textsweep.config.paths import RunPaths
    from textsweep.sweeping.study import resolve_storage_url

    if name in available():
        check_sweep_file(_sweep_path(name))
        from textsweep.config.compose import compose_config
        from textsweep.tracking.runs import tracking_uri

        cfg = compose_config([f"+sweeps={name}", *overrides], return_hydra_config=True)
        sweeper = cfg.hydra.sweeper
        return {"url": resolve_storage_url(storage or sweeper.storage, RunPaths.of(cfg)),
                "study_name": sweeper.study_name or cfg.experiment_name, "objective": sweeper.objective,
                "tracking_uri": tracking_uri(cfg), "heartbeat_interval": sweeper.heartbeat_interval,
                "max_retries": sweeper.max_retries}
    if overrides:
        raise ConfigError(f"{name!r} is not a shipped sweep, so overrides ({' '.join(overrides)}) do not apply: "
                          "pass --storage URL for a study elsewhere")
    return {"url": resolve_storage_url(storage, RunPaths.of_project()), "study_name": name, "objective": "value",
            "tracking_uri": None, "heartbeat_interval": OptunaSweeperConf.heartbeat_interval,
            "max_retries": OptunaSweeperConf.max_retries}


def _reclaim(study, found: dict) -> None:
    """What `status` may write: trials left RUNNING by a sweep process on this host that is gone (kill -9, the OOM
    killer) are failed (`process_lost`) and queued for retry, as the next sweep would do, and the study's MLflow
    runs that nobody will end (those trials', the dead process's parent run, a failed trial's run that a full
    store kept RUNNING) end as their trials did: KILLED for a signal or a lost process, FAILED for an error.
    Nothing else, and only in stores that exist. MLflow is opened only when there is something to end: trials
    of a dead process (failed with their run's reason where the run ended on an error), a last trial that failed in a process now gone, or the parent run of a sweep process that died
    between trials (the study's open-parent marks, reclaim.OPEN_PARENT). Trials of other hosts are left to the next
    sweep's heartbeat check: their heartbeat interval is that sweep's setting, which a status may not know."""
    from optuna.trial import TrialState

    from textsweep.reclaim import (OWNER, dead_parents, end_runs_of_ended_trials, ended_as_its_run, is_dead, mark_parent,
                                   reclaim_dead_trials)

    trials = study.get_trials(deepcopy=False)
    dead = any(t.state == TrialState.RUNNING and is_dead(t.user_attrs.get(OWNER)) for t in trials)
    last = max((t for t in trials if t.state != TrialState.WAITING), key=lambda t: t.number, default=None)
    failed_last = last is not None and last.state == TrialState.FAIL and is_dead(last.user_attrs.get(OWNER))
    parents = dead_parents(study)  # a sweep killed between trials: its parent run, and a confirmation's runs
    if not dead and not failed_last and not parents:
        return
    from textsweep.tracking.readonly import mlflow_client

    try:
        client, _ = mlflow_client(found["tracking_uri"])
        experiments = [e.experiment_id for e in client.search_experiments()]
    except Exception:  # no MLflow store here (the study's runs are elsewhere): the trials are what status shows
        client = None
    if dead:
        try:  # each trial failed with its run's reason where its run ended on one (a full Optuna store), else process_lost
            reclaim_dead_trials(study, ended_as_its_run(client) if client is not None else None)
        except Exception as e:  # a read-only or full store: show the study as it is
            print("textsweep: warning: could not mark the trials of a dead sweep process failed "
                  f"({' '.join(str(e).split())[:200]})", file=sys.stderr)
            return
    if client is None:
        return
    end_runs_of_ended_trials(client, study, experiments)
    for run_id in parents:
        mark_parent(study, run_id, running=False)


def status(name: str, args: list[str]) -> int:
    import optuna

    from textsweep.tracking.readonly import optuna_storage_exists, where
    from textsweep.sweeping.study import failure_line, open_storage, quiet_optuna

    fmt, storage, overrides, wide = _status_options(args)
    found = _where_study(name, storage, overrides)
    url, study_name, objective = found["url"], found["study_name"], found["objective"]
    hint = f"textsweep sweep {name}" if name in available() else "textsweep sweep NAME, or textsweep train -m ..."
    if not optuna_storage_exists(url):  # exit 2, as compare/promote/predict for a missing store
        raise NotFound(f"study {study_name!r}: no Optuna storage at {where(url)}: run a sweep first ({hint}), or pass --storage")
    quiet_optuna()
    # read_only: a reader creates no table; the heartbeat settings: it may end what a dead process left (_reclaim)
    opened = open_storage(url, found["heartbeat_interval"], max_retries=found["max_retries"], read_only=True)
    try:
        study = optuna.load_study(study_name=study_name, storage=opened)
    except KeyError:
        names = [s.study_name for s in optuna.get_all_study_summaries(opened, include_best_trial=False)]
        raise NotFound(f"no study {study_name!r} in {where(url)} (run: {hint})"
                       + (f"; its studies: {', '.join(names)}" if names else "")) from None
    _reclaim(study, found)
    trials = study.get_trials(deepcopy=False)
    from textsweep.sweeping.report import trial_records

    records = trial_records(trials)
    from textsweep.rendering.tables import accuracy_like, render_records, table_width

    if fmt != "table":
        print(render_records(records, fmt))
        return 0
    from textsweep.sweeping.study import trial_counts

    counts = trial_counts(study)
    print(f"study {study_name} ({len(trials)} trials): " + ", ".join(f"{n.lower()} {c}" for n, c in counts.items())
          + f"  [{where(url)}]")
    if records:
        print(render_records(records, "table", table_width(wide), percent=["value"] if accuracy_like(objective) else []))
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    from textsweep.sweeping.pareto import front_lines, is_multi_objective

    if complete and is_multi_objective(study):
        print("\n".join(front_lines(study)))
    elif complete:
        from textsweep.sweeping import verdict

        found = verdict.of_study(study, objective)
        print("\n".join(verdict.lines(found)))
        selected = next(t for t in trials if t.number == found.trial)
        for key, value in selected.params.items():
            print(f"  {key} = {value}")
        if "mlflow_run_id" in selected.user_attrs:
            run_id = selected.user_attrs["mlflow_run_id"]
            print(f"MLflow run of the selected trial: {run_id} (model: runs:/{run_id}/model)")
    failed = [t for t in trials if t.state.name == "FAIL"]
    for t in failed[-3:]:
        print(f"failed trial {t.number}: {failure_line(t.user_attrs)}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        print("sweeps: " + ", ".join(available()))
        return 0
    if argv[0] == "list":
        print("\n".join(available()))
        return 0
    if argv[0] == "status":
        if len(argv) >= 2 and argv[1] in ("-h", "--help") or "--help" in argv[2:] or "-h" in argv[2:]:
            print(STATUS_USAGE)
            return 0
        if len(argv) < 2:
            raise ConfigError("textsweep sweep status needs a sweep or study name: " + ", ".join(available()))
        return status(argv[1], argv[2:])
    return run_sweep(argv[0], argv[1:])
