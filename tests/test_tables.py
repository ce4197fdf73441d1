"""Terminal tables never lie by truncation: numbers formatted to a width, accuracies as percentages, names whole,
run ids of 8 characters, nothing shortened with --wide or into a file or pipe (rendering/tables.py, through
`textsweep compare`)."""

import os
import pty
import subprocess
import sys
import threading

import mlflow
import pytest

import processes
from conftest import user_env
from textsweep.rendering.tables import format_number, render_records


@pytest.mark.parametrize("value, shown", [
    (3423294, "3.42M"), (12345, "12.3k"), (9999, "9999"), (42, "42"), (2_500_000_000, "2.5G"),
    (0.004321, "0.0043"), (0.9812345, "0.9812"), (1.0, "1.0000"), (0.0000123, "1.23e-05"), (0.000123, "0.000123"),
    (12.345, "12.3"), (0.0, "0"), (-0.25, "-0.2500"), (float("nan"), "nan"), (True, "true"),
])
def test_numbers_are_formatted_to_a_width_never_cut(value, shown):
    assert format_number(value) == shown


@pytest.mark.parametrize("value, shown", [(0.81734, "81.7 %"), (1.0, "100.0 %"), (0, "0.0 %"), (0.0004, "0.0 %"),
                                          (1.5, "1.5"), (float("nan"), "nan")])
def test_accuracy_like_values_are_percentages_on_a_terminal(value, shown):
    assert format_number(value, percent=True) == shown


@pytest.mark.parametrize("value, shown", [(3423294, "3423294"), (3423294.0, "3423294"), (0.81734, "0.81734"),
                                          (0.000123456789, "0.000123456789"), (1.0, "1.0"), (42, "42")])
def test_wide_keeps_every_digit_and_no_percentages(value, shown):
    assert format_number(value, wide=True) == shown == format_number(value, wide=True, percent=True)


RECORDS = [
    {"variant": "glove50_frozen", "embedding.name": "glove50_frozen", "trainer.learning_rate": "0.004321",
     "val_accuracy": 0.81734, "test_accuracy": 0.8, "parameters": 3423294, "run_id": "abcdef0123456789" * 2},
    {"variant": "glove50", "embedding.name": "glove50", "trainer.learning_rate": "0.0001",
     "val_accuracy": 0.8, "test_accuracy": None, "parameters": 42, "run_id": "abcdef01ffff" + "0" * 20},
]


def test_a_narrow_table_abbreviates_headers_uniquely_and_keeps_every_value_whole():
    table = render_records(RECORDS, "table", width=60)
    header = table.splitlines()[0].split()
    assert header == ["variant", "name", "lr", "val_acc", "test_acc", "params", "run_id"]
    assert "~" not in table and "…" not in table
    for whole in ("glove50_frozen", "0.0043", "0.0001", "81.7 %", "80.0 %", "3.42M", "42"):
        assert whole in table
    # run ids: 8 characters, more where 8 would read the same (these two share "abcdef01")
    assert "abcdef012" in table and "abcdef01f" in table and "abcdef0123" not in table


def test_a_table_that_fits_keeps_its_headers_and_shows_8_character_run_ids():
    table = render_records(RECORDS[:1], "table", width=200)
    assert table.splitlines()[0].split()[:4] == ["variant", "name", "learning_rate", "val_accuracy"]
    assert "abcdef01 " in table + " " and "abcdef012" not in table


def test_wide_shortens_nothing():
    table = render_records(RECORDS, "table", width=None)
    assert "embedding.name" in table and "trainer.learning_rate" in table and RECORDS[0]["run_id"] in table
    assert "3423294" in table and "3.42M" not in table
    assert "0.81734" in table and "0.004321" in table and "%" not in table  # every digit, as stored


def test_percent_names_the_columns_shown_as_percentages():
    records = [{"number": 0, "value": 0.81734, "model.dropout": 0.25}]
    assert "81.7 %" in render_records(records, "table", percent=["value"])
    assert "0.8173" in render_records(records, "table", percent=[]) and "%" not in render_records(records, "table")


@pytest.mark.slow
def test_compare_on_a_terminal_and_into_a_pipe(home):
    """`textsweep compare`: on a (pseudo) terminal of 80 columns, short headers and run ids and rounded numbers,
    never a cut value; into a pipe or with --wide, full names and run ids."""
    client = mlflow.MlflowClient(f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")
    (home / "mlruns").mkdir(exist_ok=True)
    accuracy = 0.81734
    exp = client.create_experiment("tables")
    ids = []
    for variant, rate, params in (("lstm_recurrent_dropout", "0.004321", 3423294), ("lstm_dropout", "0.0001", 1234)):
        run = client.create_run(exp, run_name=variant, tags={"textsweep.variant": variant})
        client.log_param(run.info.run_id, "trainer.learning_rate", rate)
        client.log_metric(run.info.run_id, "final_val_accuracy", accuracy)
        client.log_metric(run.info.run_id, "params_trainable", params)
        client.set_terminated(run.info.run_id, "FINISHED")
        ids.append(run.info.run_id)
    args = [sys.executable, "-m", "textsweep", "compare", "--experiment", "tables", "--no-log"]
    piped = processes.run(args, cwd=home, env=user_env(home), timeout=processes.patience(120))
    assert piped.returncode == 0, piped.stderr[-2000:]
    assert all(i in piped.stdout for i in ids) and "learning_rate" in piped.stdout and "3423294" in piped.stdout
    assert "0.81734" in piped.stdout and "%" not in piped.stdout  # every digit, for a script or a file
    wide = processes.run([*args, "--wide"], cwd=home, env={**user_env(home), "COLUMNS": "60"}, timeout=processes.patience(120))
    assert wide.stdout == piped.stdout

    leader, follower = pty.openpty()
    chunks = []
    reader = threading.Thread(target=lambda: processes.drain(leader, chunks), daemon=True)
    reader.start()
    on_terminal = processes.run(args, cwd=home, env={**user_env(home), "COLUMNS": "60"}, stdout=follower,
                                stderr=subprocess.DEVNULL, capture_output=False, timeout=processes.patience(120))
    os.close(follower)
    reader.join(timeout=30)
    os.close(leader)
    shown = b"".join(chunks).decode(errors="replace")
    assert on_terminal.returncode == 0
    assert "lstm_recurrent_dropout" in shown and "lstm_dropout" in shown and "~" not in shown
    assert "3.42M" in shown and "0.0043" in shown and " lr " in shown  # 60 columns: the short headers
    assert "81.7 %" in shown and "0.81734" not in shown
    assert all(i[:8] in shown and i not in shown for i in ids)

