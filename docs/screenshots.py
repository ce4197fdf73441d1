"""Regenerate the README's screenshots of the MLflow UI from what textsweep really writes.

    make screenshots        (= .venv/bin/python docs/screenshots.py)

In a fresh temporary store: the quickstart's four variants and a 6-trial quickstart sweep, then
`textsweep ui` and headless Chromium (Debian's `chromium`) to photograph the experiment's runs, the chart
view that overlays their curves, and the sweep's parent run with its trials. Writes docs/images/*.png.
"""

import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

IMAGES = Path(__file__).resolve().parent / "images"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--hide-scrollbars"]


def textsweep(home: Path, *args: str, **kwargs) -> subprocess.Popen | subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "MLFLOW_TRACKING_URI"}
    env["TEXTSWEEP_HOME"] = str(home)
    return subprocess.run([sys.executable, "-m", "textsweep", *args], cwd=home, env=env, check=True, **kwargs)


def main() -> None:
    chromium = shutil.which("chromium") or sys.exit("needs Debian's chromium: apt-get install chromium")
    import mlflow

    from textsweep.commands.ui import WORKFLOW

    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        home, profile = Path(tmp) / "home", Path(tmp) / "profile"
        home.mkdir()
        # Flat runs (no multirun parent): the runs list and its chart view then show the variants side by side.
        textsweep(home, "train", "-m", "experiment=quickstart", "~hydra.callbacks.mlflow_parent_run", "trainer.verbose=0",
                  stdout=subprocess.DEVNULL)
        textsweep(home, "sweep", "quickstart", "--n-trials", "6", "trainer.verbose=0", stdout=subprocess.DEVNULL)
        client = mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
        variants = client.get_experiment_by_name("quickstart").experiment_id
        sweep = client.get_experiment_by_name("quickstart_sweep").experiment_id
        [parent] = [r.info.run_id for r in client.search_runs([sweep]) if r.data.tags.get("textsweep.role") == "sweep"]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "TEXTSWEEP_HOME": str(home)}
        ui = subprocess.Popen([sys.executable, "-m", "textsweep", "ui", "--port", str(port)], cwd=home, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            ui.stdout.readline()  # the address line, printed at once: the server may still be starting
            import time
            import urllib.request

            deadline = time.monotonic() + 180
            while True:  # until the UI answers
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or ui.poll() is not None:
                        sys.exit("textsweep ui did not answer within 180 s")
                    time.sleep(1)
            base = f"http://127.0.0.1:{port}/#/experiments"
            # the addresses `textsweep ui` prints: the model-training view, not MLflow 3's GenAI pages
            pages = {
                "ui_variants.png": f"{base}/{variants}/runs?{WORKFLOW}",
                "ui_compare_curves.png": f"{base}/{variants}/runs?compareRunsMode=CHART&{WORKFLOW}",
                "ui_sweep.png": f"{base}/{sweep}/runs/{parent}?{WORKFLOW}",  # the parent run: settings, best trial, child runs
            }
            for name, url in pages.items():
                target = IMAGES / name
                before = target.stat().st_mtime if target.exists() else None
                shot = subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}", "--window-size=1440,900",
                                       "--virtual-time-budget=25000", f"--screenshot={target}", url],
                                      capture_output=True, text=True, timeout=180)
                if not target.exists() or target.stat().st_mtime == before:  # chromium exits 0 without writing at times
                    sys.exit(f"chromium wrote no {target} (exit {shot.returncode}):\n{shot.stderr[-2000:]}")
                print(f"wrote {target}")
        finally:
            ui.terminate()
            ui.wait(timeout=30)


if __name__ == "__main__":
    main()
