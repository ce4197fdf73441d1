"""`textsweep ui [--port N] [--host ADDR]`: the MLflow UI on textsweep's store, bound to 127.0.0.1 by default.

The same as `mlflow ui --backend-store-uri sqlite:///<home>/mlruns/mlflow.db --host 127.0.0.1 --port 5000`:
runs keep their artifact locations (mlruns/artifacts/...), so models, curves and pages open in the UI.
Ctrl-C (or SIGTERM) stops it.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request


def _port(text: str) -> int:
    """argparse's one-line usage error for a port outside 1-65535 (the server would die with a traceback)."""
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a TCP port: use 1-65535, e.g. --port 5000")
    return int(text)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="textsweep ui", description=__doc__.splitlines()[0])
    p.add_argument("--port", type=_port, default=5000)
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default) keeps it on this machine; 0.0.0.0 exposes "
                   "it to the network, where anyone who reaches the port can read and change your runs")
    p.add_argument("--tracking-uri", help="default: $MLFLOW_TRACKING_URI, else textsweep's local store")
    args = p.parse_args(argv)
    from textsweep.tracking import command_tracking_uri, mask_secrets

    uri = command_tracking_uri(args.tracking_uri)
    if uri.startswith("sqlite:///") and not os.path.exists(uri[len("sqlite:///"):]):
        print(f"textsweep: error: no tracking store at {uri[len('sqlite:///'):]}: run `textsweep train` first, "
              "or set TEXTSWEEP_HOME / --tracking-uri", file=sys.stderr)
        return 2
    mlflow_cli = os.path.join(os.path.dirname(sys.executable), "mlflow")
    command = [mlflow_cli, "ui", "--backend-store-uri", uri, "--host", args.host, "--port", str(args.port)]
    # MLflow's own chatter goes to stderr: stdout carries only the address line (scripts can read it)
    server = subprocess.Popen(command, start_new_session=True, stdout=sys.stderr)
    address = f"http://{args.host}:{args.port}"
    stopping = []

    def stop(*_):
        stopping.append(True)
        _stop(server)

    # Both set explicitly: a process started in the background of a non-interactive shell (cron, CI, nohup)
    # inherits SIGINT as ignored, and Ctrl-C / kill -INT must still stop the UI.
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if _wait_healthy(address, server):
        print(f"MLflow UI on {mask_secrets(uri)}: {address}  (Ctrl-C stops it)", flush=True)
    return_code = server.wait()
    if not stopping and return_code != 0:
        print(f"textsweep: error: the MLflow UI exited with code {return_code} (is port {args.port} free? try --port)", file=sys.stderr)
        return 2
    return 0


def _wait_healthy(address: str, server: subprocess.Popen, timeout: float = 120) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with urllib.request.urlopen(f"{address}/health", timeout=2):
                return True
        except OSError:
            time.sleep(0.5)
    return False


def _stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(server.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
