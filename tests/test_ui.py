"""The MLflow UI on textsweep's store, in a real headless Chromium (Debian's `chromium`; .ci/run installs it).

`textsweep ui` serves a store with two variants' runs and a small sweep; the browser renders the pages
(the UI is a JavaScript app: --dump-dom after a virtual-time budget gives the DOM as a user sees it).
Outside CI a machine without Chromium skips this; under CI=true it must run.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

import mlflow
import pytest

import processes
from conftest import TINY, free_port, user_env
from textsweep.config.compose import compose_config
from textsweep.train import run_training

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Without the background-networking flags Chromium's connections hang on a closed network.
# No crash reporter: its handler process would outlive the browser (the suite's session check counts it).
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-breakpad", "--disable-crash-reporter"]


def page_text(url: str, profile, budget_ms: int = 20000) -> tuple[str, str]:
    """(visible text, raw DOM) of a page after its scripts ran."""
    dom = processes.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", f"--virtual-time-budget={budget_ms}",
                        "--dump-dom", url], timeout=processes.patience(120), end_group=True).stdout
    text = re.sub(r"<(style|script)[^>]*>.*?</\1>", " ", dom, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", text).split()), dom


pytestmark = pytest.mark.slow  # a real MLflow UI and headless Chromium per module


@pytest.fixture(scope="module")
def ui(tmp_path_factory):
    if CHROMIUM is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    home = tmp_path_factory.mktemp("ui-home")
    for preset in ("lstm", "cnn_lstm"):
        run_training(compose_config([f"home={home}", *TINY, f"model={preset}", "model.units=8"]))
    # a parent run with two trials is what the pages show: no confirming re-training of the best (none is looked at)
    sweep = processes.run([sys.executable, "-m", "textsweep", "sweep", "quickstart", "--n-trials", "2", *TINY,
                          "tracking.log_model=false", "hydra.sweeper.confirm.top_k=0"], cwd=home, env=user_env(home),
                          timeout=processes.patience(300))
    assert sweep.returncode == 0, sweep.stderr[-2000:]
    port = free_port()
    with processes.running([sys.executable, "-m", "textsweep", "ui", "--port", str(port)], cwd=home, env=user_env(home),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as server:
        banner = server.stdout.readline()  # printed at once, before the server answers
        processes.wait_until(lambda: _answers(f"http://127.0.0.1:{port}/health"), "the MLflow UI answering /health", server)
        yield {"home": home, "url": f"http://127.0.0.1:{port}", "banner": banner, "server": server,
               "profile": tmp_path_factory.mktemp("chromium-profile"),
               "client": mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")}


def _answers(url: str) -> bool:
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except OSError:
        return False


def test_the_printed_address_opens_the_experiments_runs_table_not_genai_pages(ui):
    experiment = ui["client"].get_experiment_by_name("quickstart_sweep")  # the latest run is the sweep's
    assert experiment.tags.get("mlflow.experimentKind") == "custom_model_development"
    address = ui["banner"].split(": ", 1)[1].split()[0]
    assert address.startswith(f"{ui['url']}/#/experiments/{experiment.experiment_id}/runs")
    text, _ = page_text(address, ui["profile"])
    assert "sweep-quickstart" in text and "matching runs" in text  # the runs table
    # not the GenAI side (Overview, Observability), which a bare /#/experiments/<id> opens on in MLflow 3.17,
    # whatever the experiment's mlflow.experimentKind tag says
    assert "Overview" not in text.split() and "Observability" not in text.split()


def test_ui_lists_the_variants_and_shows_a_runs_metric_and_model(ui):
    assert ui["banner"].startswith("MLflow UI on sqlite:///") and ui["url"] in ui["banner"]
    client = ui["client"]
    experiment = client.get_experiment_by_name("textsweep")
    text, _ = page_text(f"{ui['url']}/#/experiments/{experiment.experiment_id}/runs", ui["profile"])
    assert "lstm" in text.split() and "cnn_lstm" in text.split()
    assert "2 matching runs" in text
    run = next(r for r in client.search_runs([experiment.experiment_id]) if r.data.tags["textsweep.variant"] == "lstm")
    text, dom = page_text(f"{ui['url']}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}", ui["profile"])
    assert "val_accuracy" in text and "final_val_accuracy" in text and "test_accuracy" in text
    model_id = run.data.tags["textsweep.model_uri"].split("/")[-1]
    assert "Logged models (1)" in text and f"/models/{model_id}" in dom  # the model, linked from its run
    text, _ = page_text(f"{ui['url']}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}/artifacts", ui["profile"])
    assert "accuracy_curve.png" in text and "config.yaml" in text and "explanations" in text


def test_a_runs_charts_open_on_the_objective(ui):
    """The run page's "Model metrics" tab: the objective's chart comes first, in a section of its own
    (epoch_logger.OBJECTIVE_SECTION), above the other 20-odd charts that the UI sorts by name."""
    client = ui["client"]
    experiment = client.get_experiment_by_name("textsweep")
    run = client.search_runs([experiment.experiment_id])[0]
    assert [m.value for m in client.get_metric_history(run.info.run_id, "objective/val_accuracy")] == \
        [m.value for m in client.get_metric_history(run.info.run_id, "val_accuracy")]
    text, _ = page_text(f"{ui['url']}/#/experiments/{experiment.experiment_id}/runs/{run.info.run_id}/model-metrics",
                        ui["profile"])
    sections = re.findall(r"(\S+(?: metrics)?) \((\d+)\) Add chart", text)
    assert sections[0] == ("objective", "1") and sections[1][0] == "Model metrics", sections


def test_ui_shows_a_sweep_parent_with_its_trials(ui):
    experiment = ui["client"].get_experiment_by_name("quickstart_sweep")
    text, _ = page_text(f"{ui['url']}/#/experiments/{experiment.experiment_id}/runs", ui["profile"])
    assert "sweep-quickstart" in text
    [parent] = [r for r in ui["client"].search_runs([experiment.experiment_id]) if r.data.tags.get("textsweep.role") == "sweep"]
    text, _ = page_text(f"{ui['url']}/#/experiments/{experiment.experiment_id}/runs/{parent.info.run_id}", ui["profile"])
    children = text.split("Child runs", 1)[1][:200]
    assert "lstm_dropout-t0" in children and "lstm_dropout-t1" in children


def test_ui_stops_cleanly_on_ctrl_c(ui):
    server = ui["server"]
    server.send_signal(signal.SIGINT)
    assert server.wait(timeout=30) == 0
    time.sleep(0.5)
    with pytest.raises(ConnectionRefusedError):  # nothing answers there any more (the MLflow server is gone too)
        socket.create_connection(("127.0.0.1", int(ui["url"].rsplit(":", 1)[1])), timeout=5)
