"""Opening stores for read-only commands (compare, promote, predict, explain, sweep status, dashboard): an existing
store or a one-line error that names the path searched. MLflow and Optuna create their tables in whatever SQLite
file they are given (a missing one, a zero-byte one): a read-only command first checks the file as SQLite, opened
read-only, so a missing, empty, damaged or foreign file is reported and left byte for byte as it was."""

import sqlite3

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
    if path is not None:
        check_sqlite_store(path, "MLflow store", "experiments", "--tracking-uri")
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
    """Whether there is a storage to read (a server's always counts); a damaged SQLite file is an error."""
    path = sqlite_path(url)
    if path is not None and path.is_file():
        check_sqlite_store(path, "Optuna storage", "studies", "--storage")
    return path is None or path.is_file()


SQLITE_HEADER = b"SQLite format 3\x00"


def check_sqlite_store(path: Path, what: str, table: str, option: str) -> None:
    """`path` is an SQLite database holding `table`, read without writing a byte; else one line naming it."""
    with open(path, "rb") as f:
        header = f.read(len(SQLITE_HEADER))
    problem = ("is empty (0 bytes)" if not header else
               "is not an SQLite database (its header is wrong: damaged, or another kind of file)" if header != SQLITE_HEADER else "")
    if not problem:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone():
                problem = f"holds no {what} (no '{table}' table)"
        except sqlite3.DatabaseError as e:
            problem = f"is damaged ({e})"
        finally:
            db.close()
    if problem:
        raise NotFound(f"the {what} {path} {problem}: it was left as it is; restore it from a backup, or point "
                       f"{option} (or TEXTSWEEP_HOME) at the right store")
