"""What a newcomer meets first: one error line with a documented exit code, read-only commands that
create nothing, compare and sweep status tables that answer the question asked, help without gaps.

Real MLflow stores and Optuna storages in tmp folders, the installed CLI in a subprocess; no mocks.
"""

import csv
import io
import json
import socket
import subprocess
import sys

import mlflow
import optuna
import pytest

import processes
from conftest import TINY, free_port, user_env, write_csv, review_rows


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("textsweep: error:")]


def _store(home):
    (home / "mlruns").mkdir(exist_ok=True)
    return mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")


# --- 1. one error path -------------------------------------------------------------------------------

@pytest.mark.slow
def test_compare_of_a_missing_experiment_names_it_and_the_store_searched(cli, home, tmp_path):
    # no store in the folder: one line naming the experiment and the path, and no store is created
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    result = subprocess.run([sys.executable, "-m", "textsweep", "compare", "--experiment", "quickstart"], cwd=elsewhere,
                            env={**user_env(home), "TEXTSWEEP_HOME": str(elsewhere)}, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("textsweep: error:") and "'quickstart'" in line and str(elsewhere / "mlruns" / "mlflow.db") in line
    assert not (elsewhere / "mlruns").exists()
    # a store without that experiment: the same, with the experiments it does have
    _store(home).create_experiment("quickstart")
    result = cli("compare", "--experiment", "nosuch", timeout=60)
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert "'nosuch'" in line and str(home / "mlruns" / "mlflow.db") in line and "quickstart" in line


@pytest.mark.slow
def test_an_error_is_printed_once_as_one_line(cli, home):
    result = cli("train", "model=lstm_dropout", "model.dropout=1.5", *TINY, timeout=120)
    assert result.returncode == 2 and result.stderr.strip().splitlines() == _error_lines(result.stderr), result.stderr
    assert len(_error_lines(result.stderr)) == 1
    # an unreachable tracking server: the one line, whole (no urllib3 retry warning before it, no token cut)
    result = cli("train", *TINY, "tracking=server", f"tracking.uri=http://127.0.0.1:{free_port()}", timeout=120)
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("textsweep: error: cannot reach the MLflow tracking store") and line.endswith("fix the URL (tracking.uri)")
    assert "(Caused by" not in line or "(Caused by ..." in line
    result = cli("explain", "runs:/nosuch/model", "some text", timeout=120)
    assert result.returncode == 2 and len(_error_lines(result.stderr)) == 1


@pytest.mark.slow
def test_every_trial_failing_exits_1_with_one_error_line(cli, home):
    # a data error that only reading the file finds (one class), in every trial: the run failed (1), not the command
    # line (2); the trials' own failures are warnings. (A missing file is a configuration error, found before any
    # trial: test_sweep.py::test_a_config_error_stops_a_sweep_before_any_trial_and_leaves_the_study_as_it_was.)
    one_class = write_csv(home / "one_class.csv", [(f"a film number {i}", "positive") for i in range(20)], header=("text", "label"))
    result = cli("sweep", "quickstart", "--n-trials", "1", *TINY, "dataset=csv", f"dataset.path={one_class}",
                 "hydra.sweeper.baseline=false", timeout=180)
    assert result.returncode == 1, result.stderr[-2000:]
    [line] = _error_lines(result.stderr)
    assert "failed" in line


def test_a_closed_pipe_ends_quietly():
    proc = subprocess.Popen([sys.executable, "-m", "textsweep", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # the reader left (`textsweep --help | head -0`)
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 0 and stderr == ""


def test_the_continue_hint_is_for_sweeps_only():
    from textsweep.cli import _resumable

    assert _resumable(["sweep", "quickstart"]) and _resumable(["train", "-m", "+sweeps=quickstart"])
    assert not _resumable(["train", "model=lstm"]) and not _resumable(["train", "-m", "model=lstm,cnn_lstm"])


# --- 2. compare ----------------------------------------------------------------------------------------

def _trial_run(client, experiment_id, study, value, number, **params):
    run = client.create_run(experiment_id, run_name=f"lstm_dropout-t{number}", tags={
        "optuna.study": study, "optuna.trial": str(number), "textsweep.variant": "lstm_dropout"})
    for key, v in {"optuna.objective": "val_accuracy", "model.name": "lstm_dropout", **params}.items():
        client.log_param(run.info.run_id, key, v)
    client.log_metric(run.info.run_id, "final_val_accuracy", value)
    for epoch in range(3):
        client.log_metric(run.info.run_id, "val_accuracy", value - 0.1 * (2 - epoch), step=epoch)
    client.set_terminated(run.info.run_id, "FINISHED")
    return run.info.run_id


@pytest.mark.slow
def test_compare_shows_a_sweeps_best_trial_in_a_table_that_fits_120_columns(home, cli):
    from textsweep.rendering.comparison import curves_figure
    from textsweep.rendering.tables import render_records
    from textsweep.results.comparison import as_records, build_rows, curve_histories, select_runs

    client = _store(home)
    exp = client.create_experiment("quickstart_sweep")
    best = _trial_run(client, exp, "quickstart", 0.98, 0, **{"model.dropout": "0.4123456789", "model.units": "64",
                                                            "trainer.learning_rate": "0.000123456789", "trainer.epochs": "3"})
    _trial_run(client, exp, "quickstart", 0.51, 1, **{"model.dropout": "0.0734567891", "model.units": "16",
                                                      "trainer.learning_rate": "0.0456789", "trainer.epochs": "3"})
    runs = select_runs(client, "quickstart_sweep")
    assert [r.info.run_id for r in runs] == [best]  # the best trial, not the latest
    rows = build_rows(select_runs(client, "quickstart_sweep", all_runs=True))
    table = render_records(as_records(rows, False), "table")
    assert all(len(line) <= 120 for line in table.splitlines()), table
    assert "0.412" in table and "0.4123456789" not in table  # rounded
    assert "epochs" not in table.splitlines()[0].split()[1:-5]  # unchanged params (trainer.epochs) hidden
    ticks = curves_figure(curve_histories(client, rows)).axes[0].get_xticks()
    assert all(float(t).is_integer() for t in ticks)  # whole epochs
    result = cli("compare", "--experiment", "quickstart_sweep", "--no-log", timeout=60)
    assert "98.0 %" in table and "51.0 %" in table  # accuracies as percentages on a terminal
    assert result.returncode == 0 and best in result.stdout and "0.98" in result.stdout and "%" not in result.stdout  # a pipe: as stored


# --- 3. read-only commands ------------------------------------------------------------------------------

def test_read_only_commands_create_no_store_and_name_the_path(cli, home):
    status = cli("sweep", "status", "quickstart", timeout=60)
    assert status.returncode == 2 and status.stderr.count("\n") == 1 and str(home / "mlruns" / "optuna.db") in status.stderr
    promote = cli("promote", "quickstart", "--name", "m", timeout=60)
    assert promote.returncode == 2 and str(home / "mlruns" / "mlflow.db") in promote.stderr
    predict = cli("predict", "models:/m@champion", "a film", timeout=60)
    assert predict.returncode == 2 and str(home / "mlruns" / "mlflow.db") in predict.stderr
    assert not (home / "mlruns").exists()


# --- 5. help, predict ------------------------------------------------------------------------------------

def test_help_has_no_gaps(cli):
    status = cli("sweep", "status", "--help", timeout=30)
    assert status.returncode == 0 and "--format" in status.stdout and "error" not in status.stderr
    train = cli("train", "--help", timeout=60)
    assert train.returncode == 0 and "model:" in train.stdout and "optuna" not in train.stdout
    for command in ("compare", "explain", "promote", "predict"):
        lines = cli(command, "--help", timeout=30).stdout.splitlines() + [""]
        # an argument whose help text argparse did not wrap onto the next line has none
        bare = [line for line, after in zip(lines, lines[1:]) if line.startswith(("  --", "  model_uri", "  texts", "  target"))
                and len(line.split()) <= 2 and not (after.startswith("      ") and not after.strip().startswith("-"))]
        assert not bare, (command, bare)
    for command in ("ui", "dashboard"):  # the description is its docstring's first paragraph, not a line cut mid-sentence
        described = " ".join(cli(command, "--help", timeout=30).stdout.split("\n\n")[1].split())
        assert described.endswith("."), (command, described)


@pytest.fixture(scope="module")
def model_uri(tmp_path_factory):
    from textsweep.config.compose import compose_config
    from textsweep.train import run_training

    home = tmp_path_factory.mktemp("predict-home")
    result = run_training(compose_config([f"home={home}", *TINY]))
    return home, f"runs:/{result['run_id']}/model"


@pytest.mark.slow
def test_predict_reads_a_csv_as_csv_without_column(model_uri, tmp_path):
    home, uri = model_uri
    rows = review_rows(5)
    path = write_csv(tmp_path / "x.csv", rows)
    # a TSV (GLUE's layout) and a semicolon file with --column: the delimiter is the one whose header holds the column
    tsv = tmp_path / "x.tsv"
    tsv.write_text("sentence\tlabel\n" + "".join(f"{t}\t{y}\n" for t, y in rows))
    semicolons = tmp_path / "x.txt"
    semicolons.write_text("review;sentiment\n" + "".join(f"{t};{y}\n" for t, y in rows))
    for args in ([str(path)], [str(tsv)], [str(semicolons), "--column", "review"]):
        result = subprocess.run([sys.executable, "-m", "textsweep", "predict", uri, "--file", *args], cwd=home,
                                env=user_env(home), capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr[-2000:]
        lines = result.stdout.strip().splitlines()
        assert len(lines) == 1 + len(rows)  # the header row, then one line per review: the CSV header is not scored
        assert [line.split("\t")[-1] for line in lines[1:]] == [text for text, _ in rows]  # the text, not "text,label"
        assert result.stderr.strip() == ""  # no TensorFlow start-up noise, no progress off a terminal


@pytest.mark.slow
def test_predict_output_keeps_texts_with_tabs_newlines_and_quotes_in_one_field(model_uri, tmp_path):
    import csv
    import io

    home, uri = model_uri
    texts = ["a plain fine film", "a\ttabbed film", "a film\non two lines", 'a "quoted" film', "mixed\t\"\n'",
             "my password=hunter2 film at http://u:pw@h"]  # the user's text, never masked as if it were a log
    path = write_csv(tmp_path / "odd.csv", [(t, "positive") for t in texts])
    result = subprocess.run([sys.executable, "-m", "textsweep", "predict", uri, "--file", str(path)], cwd=home,
                            env=user_env(home), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    rows = list(csv.reader(io.StringIO(result.stdout, newline=""), delimiter="\t"))
    assert [row[-1] for row in rows[1:]] == texts and len({len(row) for row in rows}) == 1


# --- 6. sweep status -------------------------------------------------------------------------------------

def test_sweep_status_is_a_trials_table_for_any_study(cli, home):
    (home / "mlruns").mkdir()
    storage = f"sqlite:///{home / 'mlruns' / 'optuna.db'}"
    study = optuna.create_study(study_name="adhoc", storage=storage, direction="maximize")
    for units, value in ((16, 0.7), (64, 0.9)):
        trial = study.ask({"model.units": optuna.distributions.IntDistribution(8, 128)})
        for step in range(2):
            trial.report(value, step)
        study.tell(trial, value)
    result = cli("sweep", "status", "adhoc", "--format", "json", timeout=60)
    assert result.returncode == 0, result.stderr
    records = json.loads(result.stdout)
    assert [r["number"] for r in records] == [0, 1] and all(r["state"] == "complete" and r["epochs"] == 2 for r in records)
    assert {"model.units", "value", "duration_s"} <= set(records[0])
    table = cli("sweep", "status", "adhoc", timeout=60).stdout
    assert "selected trial #1: value 0.9000 (one run)" in table and "no baseline for this study" in table and "number" in table
    rows = list(csv.DictReader(io.StringIO(cli("sweep", "status", "adhoc", "--format", "csv", timeout=60).stdout)))
    assert len(rows) == 2


# --- 4. ui without a browser -------------------------------------------------------------------------------

def test_ui_fails_fast_in_one_line_on_a_taken_or_invalid_port(cli, home):
    _store(home).create_experiment("quickstart")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", free_port()))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("ui", "--port", str(port), timeout=30)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and str(port) in result.stderr
    result = cli("ui", "--port", "70000", timeout=30)
    assert result.returncode == 2 and result.stderr.strip().splitlines() == _error_lines(result.stderr)


def test_ui_prints_the_runs_address_at_once_and_warns_for_a_network_host(home):
    exp = _store(home).create_experiment("quickstart")
    port = free_port()
    with processes.running([sys.executable, "-m", "textsweep", "ui", "--port", str(port), "--host", "0.0.0.0"], cwd=home,
                          env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as proc:
        line = proc.stdout.readline()  # before the server answers (it takes tens of seconds to start)
        assert f"http://127.0.0.1:{port}/#/experiments" in line
        warning = proc.stderr.readline()
        assert warning.startswith("textsweep: warning: --host 0.0.0.0")
    assert exp


# --- 7. sweep progress ---------------------------------------------------------------------------------------

def test_sweep_progress_shows_eta_and_best_on_a_terminal_only(tmp_path):
    import os
    import pty

    from textsweep.sweeping.progress import progress_line, show

    assert progress_line(2, 6, 40.0, 0.9123, "val_accuracy") == \
        "textsweep: [#######-------------] 2/6 trials, best val_accuracy 0.9123, ETA 1m20s"
    with open(tmp_path / "log", "w") as log:  # a log file, as under cron
        show(2, 6, 40.0, 0.9, "val_accuracy", stream=log)
    assert (tmp_path / "log").read_text() == ""
    leader, follower = pty.openpty()
    with os.fdopen(follower, "w") as terminal:
        show(2, 6, 40.0, 0.9, "val_accuracy", stream=terminal)
    assert b"ETA 1m20s" in os.read(leader, 1000)
    os.close(leader)


@pytest.mark.slow
def test_training_shows_a_progress_bar_on_a_terminal_and_one_line_per_epoch_in_a_log(home):
    import os
    import pty
    import threading

    args = [sys.executable, "-m", "textsweep", "train", *[o for o in TINY if not o.startswith("trainer.verbose")],
            "tracking.log_model=false"]
    leader, follower = pty.openpty()
    chunks = []
    reader = threading.Thread(target=lambda: processes.drain(leader, chunks), daemon=True)
    reader.start()
    on_terminal = subprocess.run(args, cwd=home, env=user_env(home), stdout=follower, stderr=subprocess.DEVNULL, timeout=300)
    os.close(follower)
    reader.join(timeout=30)
    os.close(leader)
    shown = b"".join(chunks).decode(errors="replace")
    # Keras's bar (━), redrawn in place; the terminal's own line ends are \r\n, so look for a bare \r
    assert on_terminal.returncode == 0 and "\u2501" in shown and "\r" in shown.replace("\r\n", "\n")
    in_a_log = subprocess.run(args, cwd=home, env=user_env(home), capture_output=True, text=True, timeout=300)
    assert in_a_log.returncode == 0, in_a_log.stderr[-2000:]
    epoch_lines = [line for line in in_a_log.stdout.splitlines() if " - accuracy: " in line]
    assert len(epoch_lines) == 1 and "\r" not in in_a_log.stdout  # one line for the one epoch, no bar



# --- 8. dashboard ------------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_dashboard_serves_the_study_and_stops_with_its_server(cli, home):
    import urllib.request

    pytest.importorskip("optuna_dashboard")
    assert cli("dashboard", timeout=30).returncode == 2  # no storage: refused, none created
    assert not (home / "mlruns").exists()
    (home / "mlruns").mkdir()
    optuna.create_study(study_name="adhoc", storage=f"sqlite:///{home / 'mlruns' / 'optuna.db'}")
    port = free_port()
    proc = processes.spawn([sys.executable, "-m", "textsweep", "dashboard", "--port", str(port)], cwd=home,
                          env=user_env(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert f"http://127.0.0.1:{port}" in proc.stdout.readline()

        def studies() -> str:
            try:
                return urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=2).read().decode()
            except OSError:
                return ""

        assert '"adhoc"' in processes.wait_until(studies, "optuna-dashboard answering /api/studies", proc, ceiling=60)
        proc.terminate()  # textsweep dashboard itself, as a user's kill: it must end its server's whole group
        assert proc.wait(timeout=processes.patience(30)) == 0
    finally:
        processes.stop(proc)
    with pytest.raises(OSError):  # the server went with it
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/studies", timeout=2)
