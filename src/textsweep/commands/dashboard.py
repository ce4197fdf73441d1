"""`textsweep dashboard [--port N] [--host ADDR] [--storage URL]`: optuna-dashboard on textsweep's Optuna storage.

optuna-dashboard is the established interactive view of a study (history, importances, slices, per-trial
curves). It is an optional extra (`pip install -e '.[dashboard]'`): without it, this says so in one line.
Read-only in spirit: a missing storage is reported, never created. Bound to 127.0.0.1 by default.
"""

import argparse
import os
import shutil
import sys

from textsweep.commands.server_process import serve
from textsweep.errors import ConfigError, NotFound, RunFailed


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="textsweep dashboard", description=" ".join(__doc__.split("\n\n")[0].split()))  # the first paragraph, whole
    p.add_argument("--port", default="8080", help="the port to serve on (default: 8080)")
    p.add_argument("--host", default="127.0.0.1", help="127.0.0.1 (default) keeps it on this machine")
    p.add_argument("--storage", help="an Optuna storage URL (default: mlruns/optuna.db under $TEXTSWEEP_HOME or here)")
    args = p.parse_args(argv)
    from textsweep.tracking.readonly import optuna_storage_exists, where
    from textsweep.sweeping.study import resolve_storage_url
    from textsweep.commands.ui import _check_free, _port, check_host

    port = _port(args.port)
    check_host(args.host)
    from textsweep.config.paths import RunPaths

    paths = RunPaths.of_project()
    url = resolve_storage_url(args.storage, paths)
    if not optuna_storage_exists(url):
        raise NotFound(f"no Optuna storage at {where(url)}: run a sweep first (textsweep sweep quickstart), or pass --storage")
    executable = shutil.which("optuna-dashboard", path=os.path.dirname(sys.executable)) or shutil.which("optuna-dashboard")
    if executable is None:
        raise ConfigError("optuna-dashboard is not installed: pip install -e '.[dashboard]' (or pip install optuna-dashboard)")
    _check_free(args.host, port)
    print(f"optuna-dashboard on {where(url)}: http://{args.host}:{port}  (starting; Ctrl-C stops it)", flush=True)
    log_path = paths.mlruns / "dashboard.log"  # the server's request logs, out of the terminal
    code = serve([executable, url, "--host", args.host, "--port", str(port)], log_path)  # as `textsweep ui`
    if code not in (None, 0):
        raise RunFailed(f"optuna-dashboard exited with code {code} (log: {log_path})")
    return 0
