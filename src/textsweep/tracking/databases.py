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


DISK_FULL = ("no space left", "database or disk is full", "disk i/o error", "errno 28", "enospc")
NOT_A_DATABASE = ("file is not a database", "malformed", "no such table", "can't locate revision", "not a database",
                  "unable to open database", "no such column")


def disk_full(error: BaseException | None) -> bool:
    return disk_full_cause(error) is not None


def disk_full_cause(error: BaseException | None) -> BaseException | None:
    """The error of `error`'s chain that says the disk is full, at any depth (Optuna wraps SQLite's error in a
    StorageInternalError whose own message does not say), or None."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        text = f"{type(error).__name__}: {error}".lower()
        if isinstance(error, OSError) and error.errno == 28 or any(k in text for k in DISK_FULL):
            return error
        error = error.__cause__ or error.__context__
    return None


def error_line(error: BaseException) -> str:
    """The line of an error worth quoting: the one that says the disk is full (anywhere in its chain; SQLAlchemy
    leads with "raised as a result of Query-invoked autoflush"), else its first line."""
    cause = disk_full_cause(error) or error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    return next((line for line in lines if any(k in line.lower() for k in DISK_FULL)), lines[0])[:200]


def store_problem(url: str, error: BaseException) -> str:
    """What went wrong with a store, for one line: a full disk, a damaged file, or an unreachable server.
    A local SQLite file is never 'unreachable': telling its user to start a server misleads."""
    text = f"{type(error).__name__}: {error}".lower()
    if disk_full(error):
        return "the disk is full: free space, or point the store elsewhere"
    if url.startswith("sqlite:"):
        if any(k in text for k in NOT_A_DATABASE):
            return "the file is damaged or not a database of this kind (e.g. truncated): move it aside to start a new one"
        return "the file cannot be opened: check its permissions and that it is a database of this kind"
    return "start the server or fix the URL"


def remove_if_new(url: str, existed: bool, error: BaseException) -> None:
    """A store whose first creation ran out of disk is half-made: remove it, so the next run starts clean
    instead of failing on it forever. Only then: another worker may have made the file meanwhile."""
    if existed or not url.startswith("sqlite:///") or not disk_full(error):
        return
    path = Path(url[len("sqlite:///"):])
    for leftover in (path, path.with_name(path.name + "-journal"), path.with_name(path.name + "-wal")):
        try:
            leftover.unlink()
        except OSError:
            pass


def probe_server(url: str, timeout: float = 5.0) -> None:
    """A database server URL (postgresql://, mysql://...) must accept a TCP connection within `timeout`:
    MLflow retries a dead one for minutes before it says so. Raises OSError; other URLs pass."""
    import socket
    from urllib.parse import urlsplit

    scheme = url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in url else ""
    ports = {"postgresql": 5432, "postgres": 5432, "mysql": 3306, "mssql": 1433}
    if scheme not in ports:
        return
    netloc = urlsplit(url).netloc.rpartition("@")[2]  # after the last @: a raw @ in a password is not the host
    host, _, port = netloc.rpartition(":") if netloc.count(":") == 1 else (netloc, "", "")
    if not host:
        return  # a socket path or a host given in the query: let the driver connect
    with socket.create_connection((host.strip("[]"), int(port) if port.isdigit() else ports[scheme]), timeout=timeout):
        pass
