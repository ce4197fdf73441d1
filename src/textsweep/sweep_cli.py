"""`textsweep sweep NAME [--n-trials N] [--timeout S] [overrides]` and `textsweep sweep status NAME`.

A sweep is a definition in sweeps/NAME.yaml run through Hydra: `textsweep sweep imdb_lstm` is
`textsweep train -m +sweeps=imdb_lstm`. One invocation adds --n-trials trials to the persistent study,
which is what a scheduled job runs. Exit status: 0 when trials ran (pruned ones included), 2 for a
configuration or storage error, 1 when every trial failed.
"""

import sys
from pathlib import Path

from textsweep.errors import ConfigError, TextsweepError

USAGE = """usage: textsweep sweep NAME [--n-trials N] [--timeout SECONDS] [hydra overrides...]
       textsweep sweep status NAME [hydra overrides...]
       textsweep sweep list"""


def sweeps_dirs() -> list[Path]:
    """Where sweep definitions are looked up, in order: the project's own sweeps/, then textsweep's."""
    from textsweep.compose import shipped_sweeps_dir, user_sweeps_dir

    return [d for d in (user_sweeps_dir(), shipped_sweeps_dir()) if d is not None]


def available() -> list[str]:
    return sorted({p.stem for d in sweeps_dirs() for p in d.glob("*.yaml")})


def _check_name(name: str) -> None:
    if name not in available():
        where = " and ".join(str(d) for d in sweeps_dirs())
        raise ConfigError(f"no sweep named {name!r} in {where}: use one of {', '.join(available())}, "
                          f"or write sweeps/{name}.yaml in your project folder")


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


def run_sweep(name: str, args: list[str]) -> int:
    _check_name(name)
    options, overrides = _split_options(args)
    sys.argv = ["textsweep sweep", "-m", f"+sweeps={name}", *options, *overrides]
    from textsweep.train import main as train_main

    train_main()
    return 0


def status(name: str, overrides: list[str]) -> int:
    import optuna

    from textsweep.compose import compose_config
    from textsweep.study import open_storage, quiet_optuna, resolve_storage_url
    from textsweep.tracking import home_dir

    _check_name(name)
    cfg = compose_config([f"+sweeps={name}", *overrides], return_hydra_config=True)
    sweeper = cfg.hydra.sweeper
    url = resolve_storage_url(sweeper.storage, home_dir(cfg))
    study_name = sweeper.study_name or cfg.experiment_name
    quiet_optuna()
    try:
        study = optuna.load_study(study_name=study_name, storage=open_storage(url))
    except KeyError:
        print(f"study {study_name!r}: no trials yet (run: textsweep sweep {name})")
        return 0
    trials = study.get_trials(deepcopy=False)
    counts = {s: sum(t.state.name == s for t in trials) for s in ("COMPLETE", "PRUNED", "FAIL", "RUNNING", "WAITING")}
    print(f"study {study_name} ({len(trials)} trials): " + ", ".join(f"{n.lower()} {c}" for n, c in counts.items()))
    complete = [t for t in trials if t.state.name == "COMPLETE"]
    from textsweep.pareto import front_lines, is_multi_objective

    if complete and is_multi_objective(study):
        print("\n".join(front_lines(study)))
    elif complete:
        best = study.best_trial
        print(f"best {sweeper.objective} = {best.value:.4f} (trial {best.number})")
        for key, value in best.params.items():
            print(f"  {key} = {value}")
        from textsweep.baseline import gap_line
        from textsweep.sweep_steps import baseline_of

        baseline = baseline_of(study)
        line = gap_line(best.value, (baseline or {}).get("value"), sweeper.objective, study.direction.name == "MAXIMIZE")
        if line:
            print(line)
        if "mlflow_run_id" in best.user_attrs:
            print(f"MLflow run of the best trial: {best.user_attrs['mlflow_run_id']} (model: runs:/{best.user_attrs['mlflow_run_id']}/model)")
    failed = [t for t in trials if t.state.name == "FAIL"]
    for t in failed[-3:]:
        print(f"failed trial {t.number}: {t.user_attrs.get('fail_reason', '?')}: {t.user_attrs.get('fail_message', '')[:200]}")
    return 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        print("sweeps: " + ", ".join(available()))
        return 0
    try:
        if argv[0] == "list":
            print("\n".join(available()))
            return 0
        if argv[0] == "status":
            if len(argv) < 2:
                raise ConfigError("textsweep sweep status needs a sweep name: " + ", ".join(available()))
            return status(argv[1], argv[2:])
        return run_sweep(argv[0], argv[1:])
    except TextsweepError as e:
        print(f"textsweep: error: {e}", file=sys.stderr)
        return e.exit_code
