"""Database-backed stores shared by MLflow and Optuna: stable SQLite paths and safe first use by many workers."""

from contextlib import contextmanager
from pathlib import Path


def absolute_sqlite_url(url: str) -> str:
    """Relative SQLite paths would follow the working directory (Hydra's job folder): pin them."""
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        return "sqlite:///" + str(Path(url[len("sqlite:///"):]).expanduser().resolve())
    return url


@contextmanager
def creation_lock(url: str):
    """Workers started together on a new SQLite store race to create its tables: one at a time."""
    if not url.startswith("sqlite:///"):
        yield
        return
    import fcntl

    path = Path(url[len("sqlite:///"):])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def first_use_race_retry(create, attempts: int = 6):
    """Workers on a new server database race to create its tables ("already exists", "duplicate",
    "unique constraint", "locked"): the loser waits and retries, then finds the tables made."""
    import time

    races = ("already exists", "locked", "duplicate", "unique constraint")
    for attempt in range(attempts):
        try:
            return create()
        except Exception as e:
            if attempt == attempts - 1 or not any(r in str(e).lower() for r in races):
                raise
            time.sleep(0.3 * (attempt + 1))
