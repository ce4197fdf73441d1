"""Opening stores for read-only commands (compare, promote, sweep status): an existing store or a one-line error
that names the path searched. Opening a missing SQLite store would create an empty one in the current folder."""

from pathlib import Path

from textsweep.errors import NotFound


def sqlite_path(url: str) -> Path | None:
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


def where(url: str) -> str:
    """The store as a user finds it: a file path for SQLite, else the masked URL."""
    from textsweep.tracking.runs import mask_secrets

    path = sqlite_path(url)
    return str(path) if path else mask_secrets(url)


def mlflow_client(explicit: str | None = None, looking_for: str = ""):
    """(MlflowClient, uri) on the store `textsweep` commands use, refusing to create it. `looking_for`
    (e.g. "experiment 'quickstart'") leads the error, so the user reads what was missing and where."""
    from textsweep.tracking.runs import command_tracking_uri

    uri = command_tracking_uri(explicit)
    path = sqlite_path(uri)
    if path is not None and not path.is_file():
        raise NotFound(f"{'no ' + looking_for + ': ' if looking_for else ''}no MLflow store at {path}: run this in the "
                       "folder where you trained (the one holding mlruns/), or set TEXTSWEEP_HOME or --tracking-uri")
    import mlflow

    mlflow.set_tracking_uri(uri)  # for the fluent calls (model registry, model loading) of the same command
    return mlflow.MlflowClient(uri), uri


def experiment(client, name: str, uri: str):
    exp = client.get_experiment_by_name(name)
    if exp is None:
        names = sorted(e.name for e in client.search_experiments())
        raise NotFound(f"no MLflow experiment named {name!r} in {where(uri)}: "
                       + (f"use one of {', '.join(names)}" if names else "it has no experiments yet"))
    return exp


def optuna_storage_exists(url: str) -> bool:
    path = sqlite_path(url)
    return path is None or path.is_file()
