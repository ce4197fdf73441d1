"""The command line as a user meets it: help without TensorFlow, errors in one line with exit code != 0."""

import subprocess
import sys

from conftest import runs_of


def test_help_does_not_import_tensorflow_or_mlflow():
    code = ("import sys; from textsweep.cli import main; main(['--help']); "
            "heavy = [m for m in ('tensorflow', 'keras', 'mlflow', 'optuna') if m in sys.modules]; "
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "textsweep train" in out and "HEAVY []" in out


def test_unknown_command_is_one_line_and_nonzero(cli):
    result = cli("trian")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "unknown command 'trian'" in result.stderr


def test_config_error_from_cli_is_one_line_and_leaves_no_run(cli, client):
    result = cli("train", "model=lstm_dropout", "model.dropout=1.5")
    assert result.returncode == 2
    lines = [line for line in result.stderr.splitlines() if line.startswith("textsweep: error:")]
    assert lines == ["textsweep: error: model.dropout=1.5 is out of range: use a rate in [0, 1), e.g. model.dropout=0.2"]
    assert "Traceback" not in result.stderr
    assert runs_of(client, "textsweep") == []


def test_missing_csv_column_from_cli_names_the_columns(cli, home, client):
    from conftest import write_csv

    path = write_csv(home / "reviews.csv", [("good film", "positive"), ("bad film", "negative")])
    result = cli("train", "dataset=csv", f"dataset.path={path}", "dataset.text_column=text")
    assert result.returncode == 2
    assert "dataset.text_column='text' is not a column of" in result.stderr
    assert "its columns are review, sentiment" in result.stderr
    assert "Traceback" not in result.stderr
    assert runs_of(client, "textsweep") == []
