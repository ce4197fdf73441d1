"""`textsweep ui [--port N] [--host ADDR] [--experiment NAME]`: the MLflow UI on textsweep's store, bound to
127.0.0.1 by default.

The same as `mlflow ui --backend-store-uri sqlite:///<home>/mlruns/mlflow.db --host 127.0.0.1 --port 5000`:
runs keep their artifact locations (mlruns/artifacts/...), so models, curves and pages open in the UI.
It prints one line at once, the address of the experiment's runs table; the server's own logs go to
mlruns/ui.log. Ctrl-C (or SIGTERM) stops it.

MLflow 3.17's UI decides an experiment's landing page from its "workflow type" (GenAI or machine learning):
the URL parameter `workflowType`, else the browser's last choice, else GenAI, which opens on traces and
a welcome page. The experiment tag `mlflow.experimentKind` that earlier 3.x UIs read is ignored by 3.17's
experiment page (its feature flag for the tag is off), so the printed address carries
`workflowType=machine_learning`, and textsweep still tags its experiments for the UIs that read it.
"""

import argparse
import os
import socket
import sys

from textsweep.commands.server_process import serve
from textsweep.errors import ConfigError, NotFound, RunFailed
from textsweep.tracking.links import WORKFLOW


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="textsweep ui", description=" ".join(__doc__.split("\n\n")[0].split()))  # the first paragraph, whole
    p.add_argument("--port", default="5000", help="the port to serve on (default: 5000)")
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default) keeps it on this machine; 0.0.0.0 exposes "
                   "it to the network, where anyone who reaches the port can read and change your runs")
    p.add_argument("--experiment", help="the experiment whose runs the printed address opens (default: the one with "
                   "the latest run)")
    p.add_argument("--tracking-uri", help="default: $MLFLOW_TRACKING_URI, else textsweep's local store")
    args = p.parse_args(argv)
    port = _port(args.port)
    check_host(args.host)
    from textsweep.tracking.readonly import sqlite_path
    from textsweep.tracking.runs import command_tracking_uri, mask_secrets

    uri = command_tracking_uri(args.tracking_uri)
    store = sqlite_path(uri)
    if store is not None and not store.is_file():
        raise NotFound(f"no tracking store at {store}: run `textsweep train` first, or set TEXTSWEEP_HOME / --tracking-uri")
    _check_free(args.host, port)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"textsweep: warning: --host {args.host} serves the UI to the network: anyone who reaches port {port} can "
              "read and change your runs (see docs/distributed.md)", file=sys.stderr)
    address = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{port}"
    experiment = _experiment(store, args.experiment)
    page = f"{address}/#/experiments/{experiment[0]}/runs?{WORKFLOW}" if experiment else f"{address}/#/experiments?{WORKFLOW}"
    what = f"runs of experiment {experiment[1]!r}" if experiment else "experiments"
    print(f"MLflow UI on {mask_secrets(uri)}: {page}  ({what}; starting, Ctrl-C stops it)", flush=True)

    log_path = (store.parent if store else _home_mlruns()) / "ui.log"  # the server's ~30 start-up lines
    mlflow_cli = os.path.join(os.path.dirname(sys.executable), "mlflow")
    # One worker and no job runners: by default `mlflow ui` starts 4 uvicorn workers and 7 huey consumers (MLflow's
    # GenAI jobs, which textsweep's runs never use), each importing MLflow, where one worker serves a person's browser.
    command = [mlflow_cli, "ui", "--backend-store-uri", uri, "--host", args.host, "--port", str(port), "--workers", "1"]
    return_code = serve(command, log_path, env={"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"})  # until Ctrl-C or SIGTERM, which end the server's whole process group
    if return_code not in (None, 0):
        raise RunFailed(f"the MLflow UI exited with code {return_code}: {_last_line(log_path)} (full log: {log_path})")
    return 0


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise ConfigError(f"--port {text} is not a TCP port: use a number from 1 to 65535, e.g. --port 5000")
    return port


def check_host(host: str) -> None:
    """Serving to every interface takes the explicit --host 0.0.0.0: an empty host, '*', '::' or another spelling
    of the wildcard address ('0', '0x0', '[::]') binds every interface too, without the user having said so."""
    import ipaddress

    bare = host.strip().strip("[]")
    wildcard = bare in ("", "*")
    try:
        wildcard = wildcard or ipaddress.ip_address(bare).is_unspecified
    except ValueError:
        pass
    try:
        wildcard = wildcard or socket.inet_aton(bare) == bytes(4)  # legacy forms: '0', '0x0', '0.0'
    except OSError:
        pass
    if wildcard and host != "0.0.0.0":
        raise ConfigError(f"--host {host!r} would serve on every network interface: say --host 0.0.0.0 if that is meant "
                          "(anyone who reaches the port can then read and change your runs), else --host 127.0.0.1")


def _check_free(host: str, port: int) -> None:
    """Refuse at once, in one line, when the port is taken: MLflow's server would log it among 30 lines and exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds: a port in TIME_WAIT is free
        try:
            s.bind((host, port))
        except OSError as e:
            raise ConfigError(f"cannot serve on {host}:{port} ({e.strerror}): the port is in use or the address is not "
                              "this machine's; choose another with --port") from None


def _experiment(store, name: str | None) -> tuple[str, str] | None:
    """(id, name) of the experiment to open, read from the SQLite store directly: importing MLflow here would
    delay the first line by seconds."""
    if store is None:
        return None
    import sqlite3

    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as db:
            if name:
                row = db.execute("select experiment_id, name from experiments where name = ?", (name,)).fetchone()
                if row is None:
                    raise NotFound(f"no MLflow experiment named {name!r} in {store}")
                return str(row[0]), row[1]
            row = db.execute("select e.experiment_id, e.name from runs r join experiments e on r.experiment_id = e.experiment_id "
                             "where e.lifecycle_stage = 'active' order by r.start_time desc limit 1").fetchone()
            return (str(row[0]), row[1]) if row else None
    except sqlite3.Error:
        return None


def _home_mlruns():
    from textsweep.config.paths import RunPaths

    folder = RunPaths.of_project().mlruns
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _last_line(path) -> str:
    try:
        lines = [line.strip() for line in open(path, encoding="utf-8", errors="replace") if line.strip()]
    except OSError:
        return "no log"
    errors = [line for line in lines if "error" in line.lower()]
    return (errors or lines or ["no log"])[-1][:300]
