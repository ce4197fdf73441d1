"""A private PostgreSQL instance for the scale bench: its own data folder and port, so that the bench may restart
it mid-sweep (`--fault db-restart`) without touching the machine's shared server.

    with PrivatePostgres() as pg:       # initdb into a temporary folder, start on a free port
        url = pg.url(pg.create_database("optuna"))
        pg.restart()                    # pg_ctl restart -m fast: every open connection is cut
    # stopped and its folder removed

PostgreSQL refuses to run as root: under root the instance runs as the `postgres` system user.
"""

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

BINARIES = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivatePostgres:
    def __init__(self, max_connections: int = 300):
        self.folder = Path(tempfile.mkdtemp(prefix="textsweep-pg-"))
        self.data, self.port, self.max_connections = self.folder / "data", free_port(), max_connections
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.folder, self.user)

    def _run(self, *args: str) -> None:
        command = [str(BINARIES / args[0]), *args[1:]]
        if self.user:
            uid = pwd.getpwnam(self.user)
            done = subprocess.run(command, capture_output=True, text=True, user=uid.pw_uid, group=uid.pw_gid,
                                  cwd=self.folder, timeout=300)
        else:
            done = subprocess.run(command, capture_output=True, text=True, cwd=self.folder, timeout=300)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")

    def _options(self) -> str:
        return (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 "
                f"-c max_connections={self.max_connections}")

    def start(self) -> "PrivatePostgres":
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8")
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.folder / "log"), "-w", "start")
        return self

    def restart(self) -> None:
        """A fast shutdown (open transactions rolled back, connections cut) and a start, as a service restart."""
        self._run("pg_ctl", "-D", str(self.data), "-o", self._options(), "-l", str(self.folder / "log"),
                  "-m", "fast", "-w", "restart")

    def stop(self) -> None:
        """Stopped by its data folder (after a restart the server's command line no longer names it)."""
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def admin_dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def __enter__(self) -> "PrivatePostgres":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
