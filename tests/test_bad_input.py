"""The bad-input matrix, from the command line as a user meets it: every case exits non-zero with one line
that names the key, file or column and the fix; no FINISHED MLflow run and no COMPLETE trial comes of it."""

import hashlib
import re
from pathlib import Path

import numpy as np
import optuna
import pytest

from conftest import runs_of, tiny, write_csv

TINY = tiny(samples=200)


def make_files(home):
    """The bad files of the matrix, written fresh for each case."""
    files = {}
    files["empty.csv"] = home / "empty.csv"
    files["empty.csv"].write_bytes(b"")
    files["reviews.csv"] = write_csv(home / "reviews.csv", [("a fine film", "positive"), ("a dull film", "negative")] * 30)
    files["oneclass.csv"] = write_csv(home / "oneclass.csv", [("a fine film", "positive")] * 10)
    files["latin1.csv"] = home / "latin1.csv"
    files["latin1.csv"].write_bytes("review,sentiment\ncafé noir,positive\nbad,negative\n".encode("latin-1"))
    files["emptytext.csv"] = write_csv(home / "emptytext.csv", [("a fine film", "positive"), ("", "negative")] * 5)
    files["unseen.csv"] = write_csv(home / "unseen.csv", [("good", "pos", "train"), ("bad", "neg", "train"),
                                                          ("meh", "neutral", "test")] * 4, header=("review", "sentiment", "split"))
    files["glove3d.txt"] = home / "glove3d.txt"
    files["glove3d.txt"].write_text("fine 0.1 0.2 0.3\nfilm 0.1 0.2 0.3\n")
    files["globad.txt"] = home / "globad.txt"
    files["globad.txt"].write_text("fine 0.1 0.2 0.3 0.4\nfilm 0.1 oops 0.3 0.4\n")
    arr = np.empty(4, dtype=object)
    arr[:] = [[1, 2], [3], [4, 5], [6]]
    files["imdb.npz"] = home / "imdb.npz"
    np.savez(files["imdb.npz"], x_train=arr, y_train=np.array([0, 1, 0, 1]), x_test=arr, y_test=np.array([0, 1, 0, 1]))
    files["notadir"] = home / "notadir"
    files["notadir"].write_text("")
    return files


CSV = ["dataset=csv", "dataset.text_column=review", "dataset.label_column=sentiment"]
CASES = {
    "unknown preset": (["train", "model=lstmm"], "no config 'model/lstmm': use one of"),
    "misspelled key": (["train", "model.unitz=3"], "Key 'unitz' not in 'ModelConfig'"),
    "wrong type": (["train", "trainer.epochs=three"], "trainer.epochs: Value 'three'"),
    "dropout >= 1": (["train", "model=lstm_dropout", "model.dropout=1.0"], "model.dropout=1.0 is out of range"),
    "dropout < 0": (["train", "model=lstm_dropout", "model.dropout=-0.2"], "model.dropout=-0.2 is out of range"),
    "units <= 0": (["train", "model.units=0"], "model.units=0 must be >= 1"),
    "filters <= 0": (["train", "model=cnn_lstm", "model.filters=0"], "model.filters=0 must be >= 1"),
    "maxlen <= 0": (["train", "dataset.maxlen=0"], "dataset.maxlen=0 must be >= 1"),
    "kernel longer than the pooled sequence": (["train", "model=glove_cnn_lstm", "dataset.maxlen=4"], "kernel_size=5 is longer than the sequence"),
    "CSV missing": (["train", *CSV, "dataset.path={home}/nope.csv"], "dataset.path={home}/nope.csv does not exist"),
    "CSV empty": (["train", *CSV, "dataset.path={empty_csv}"], "is empty: it needs a header row"),
    "CSV without the column": (["train", *CSV, "dataset.path={reviews_csv}", "dataset.label_column=label"], "dataset.label_column='label' is not a column"),
    "CSV with one class": (["train", *CSV, "dataset.path={oneclass_csv}"], "has only one class ('positive')"),
    "CSV not UTF-8": (["train", *CSV, "dataset.path={latin1_csv}"], "is not UTF-8 (byte 0xe9"),
    "CSV with empty texts": (["train", *CSV, "dataset.path={emptytext_csv}"], "have an empty 'review' or 'sentiment'"),
    "label unseen in training": (["train", *CSV, "dataset.path={unseen_csv}", "dataset.split_column=split"], "'neutral' appear in the test split but never in training"),
    "GloVe file missing": (["train", "embedding=glove", "embedding.path={home}/glove.txt"], "embedding.path={home}/glove.txt does not exist"),
    "GloVe wrong dimension": (["train", *CSV, "dataset.path={reviews_csv}", "embedding=glove", "embedding.path={glove3d_txt}", "embedding.dim=4"], "has 3-dimensional vectors but embedding.dim=4"),
    "GloVe malformed line": (["train", *CSV, "dataset.path={reviews_csv}", "embedding=glove", "embedding.path={globad_txt}", "embedding.dim=4"], "line 2 is malformed"),
    "IMDB wrong checksum": (["train", "dataset=imdb", "dataset.path={imdb_npz}"], "has SHA-256"),
    "unreachable tracking URI": (["train", "tracking=server", "tracking.uri=http://127.0.0.1:9"], "cannot reach the MLflow tracking store at http://127.0.0.1:9"),
    "unwritable mlruns": (["train", "home={notadir}"], "cannot write {notadir}/mlruns"),
    "malformed storage URL": (["sweep", "quickstart", "hydra.sweeper.storage=nosuchdb://x"], "cannot open the Optuna storage nosuchdb://x"),
    "malformed search space": (["train", "-m", "hydra/sweeper=optuna", "model.units=interval(1,"], "cannot parse an override"),
    "empty search space": (["train", "-m", "hydra/sweeper=optuna"], "the search space is empty"),
    "n_trials <= 0": (["sweep", "quickstart", "--n-trials", "0"], "hydra.sweeper.n_trials=0 must be >= 1"),
    "unknown sweep": (["sweep", "nosuch"], "no sweep named 'nosuch'"),
}


@pytest.mark.parametrize("case", list(CASES))
@pytest.mark.slow
def test_bad_input_fails_in_one_line_and_leaves_nothing_finished(case, cli, home, client):
    files = make_files(home)
    names = {"home": str(home), **{k.replace(".", "_"): str(v) for k, v in files.items()}}
    args, expected = CASES[case]
    args = [a.format(**names) for a in args]
    expected = expected.format(**names)
    if case == "IMDB wrong checksum":
        assert hashlib.sha256(files["imdb.npz"].read_bytes()).hexdigest() != "69664113"  # not the Keras file
    before = files["reviews.csv"].read_bytes()
    head = 2 if args[0] == "sweep" or args[:2] == ["train", "-m"] else 1  # tiny settings first: each case's own values win
    result = cli(*args[:head], *TINY, *args[head:])
    errors = [line for line in result.stderr.splitlines() if line.startswith("textsweep: error:")]
    assert result.returncode != 0
    assert len(errors) == 1, result.stderr[-2000:]
    assert expected in errors[0], errors
    assert "Traceback" not in result.stderr
    assert files["reviews.csv"].read_bytes() == before  # input files untouched
    finished = [r for e in ("textsweep", "quickstart_sweep") for r in runs_of(client, e) if r.info.status == "FINISHED"]
    assert finished == []
    optuna_db = home / "mlruns" / "optuna.db"
    if optuna_db.exists():
        for summary in optuna.get_all_study_summaries(storage=f"sqlite:///{optuna_db}"):
            study = optuna.load_study(study_name=summary.study_name, storage=f"sqlite:///{optuna_db}")
            assert not [t for t in study.trials if t.state.name == "COMPLETE"]


def test_the_matrix_has_at_least_20_cases():
    assert len(CASES) >= 20


# --- classes of bad input (issue 27): each class a generator of variants ------------------------------------
# Most of these fail before TensorFlow is imported: checked in this process through the same functions the
# commands call, with one command-line case per class to show the one line a user sees.

def one_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("textsweep: error: ")]
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr[-2000:]
    return lines[0]


def bad_names():
    """Names that would escape a folder or not fit a database column, in every shape."""
    yield from ("../../../x", "a/b", "/abs", "..", ".", "a\\b", "..\\..\\x", "x" * 600, "a\nb", "tab\there", " lead")


def test_names_that_escape_the_home_or_do_not_fit_are_refused_in_one_line(compose):
    from textsweep.config.names import check_name, check_sweep_names
    from textsweep.errors import ConfigError
    from textsweep.results.promotion import check_model_name
    from textsweep.tracking.runs import open_experiment

    for name in bad_names():
        for check in (lambda n: check_sweep_names(n, None), lambda n: check_sweep_names(None, n), check_model_name,
                      lambda n: check_name("experiment_name", n, "x")):
            with pytest.raises(ConfigError) as e:
                check(name)
            assert "\n" not in str(e.value) and len(str(e.value)) < 400, name
    for good in ("textsweep", "it's here", "imdb lstm v2", "a..b", "x" * 200):
        check_sweep_names(good, good)
        check_model_name(good.replace("'", ""))
    with pytest.raises(ConfigError, match="holds a path separator"):
        open_experiment(compose("experiment_name='../../../x'"))  # every run, sweep and multirun opens here


@pytest.mark.slow
def test_a_name_with_dots_and_slashes_writes_nothing_outside_the_home(cli, home):
    outside = home.parent
    before = {p for p in outside.rglob("*") if home not in p.parents and p != home}
    for args in (["train", *TINY, "experiment_name='../../../x'"],
                 ["train", "-m", *TINY, "hydra/sweeper=optuna", "hydra.sweeper.study_name='../x'", "model.units=4,8"]):
        result = cli(*args)
        assert result.returncode == 2 and "holds a path separator" in one_line(result), args
    after = {p for p in outside.rglob("*") if home not in p.parents and p != home}
    assert after == before
    assert not (home / "mlruns" / "optuna.db").exists()


def bad_aliases():
    yield from ("", "latest", "LATEST", "v1", "V12", "a b", "a/b", "x:y", "a@b", "x" * 300)


def test_promote_checks_the_alias_before_it_registers_anything(client):
    from textsweep.errors import ConfigError
    from textsweep.results.promotion import promote

    client.create_experiment("e")
    for alias in bad_aliases():
        with pytest.raises(ConfigError, match="--alias"):
            promote(client, "e", "m", alias)
    assert client.search_registered_models() == []


def damaged_stores():
    """(name, bytes) of files that are not a usable SQLite store."""
    import sqlite3
    import tempfile

    yield "zero bytes", b""
    yield "garbage header", b"this is not a database at all" * 10
    yield "truncated SQLite", b"SQLite format 3\x00" + b"\x00" * 50
    yield "text", "experiments,runs\n1,2\n".encode()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "other.db"
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE notes (x)")
        db.close()
        yield "another SQLite database", path.read_bytes()


def test_read_only_commands_leave_a_damaged_store_byte_identical_with_one_line(cli, home):
    from textsweep.errors import NotFound
    from textsweep.tracking.readonly import mlflow_client, optuna_storage_exists

    mlruns = home / "mlruns"
    mlruns.mkdir()
    commands = [["compare", "--experiment", "x"], ["promote", "x", "--name", "m"], ["explain", "runs:/0123/model", "a film"],
                ["predict", "models:/m@champion", "a film"], ["sweep", "status", "quickstart"]]
    for i, (kind, content) in enumerate(damaged_stores()):
        for name in ("mlflow.db", "optuna.db"):
            (mlruns / name).write_bytes(content)
        with pytest.raises(NotFound, match="was left as it is"):
            mlflow_client(f"sqlite:///{mlruns / 'mlflow.db'}")
        with pytest.raises(NotFound, match="was left as it is"):
            optuna_storage_exists(f"sqlite:///{mlruns / 'optuna.db'}")
        command = commands[i % len(commands)]
        result = cli(*command, timeout=120)
        assert result.returncode == 2 and "was left as it is" in one_line(result), (kind, command)
        for name in ("mlflow.db", "optuna.db"):
            assert (mlruns / name).read_bytes() == content, (kind, command, name)


def test_read_only_commands_in_an_empty_folder_create_no_store(cli, home):
    for command in (["explain", "runs:/0123/model", "a film"], ["compare", "--experiment", "x"]):
        result = cli(*command, timeout=120)
        assert result.returncode == 2 and "no MLflow store" in one_line(result)
    assert list(home.rglob("*.db")) == []


def bad_sweep_files():
    """(name, bytes, what the line says)."""
    yield "unclosed.yaml", b"hydra:\n  sweeper:\n    params: {model.units: [1\n", "not valid YAML on line 4"
    yield "tabs.yaml", b"hydra:\n\tsweeper:\n\t\tn_trials: 2\n", "not valid YAML on line 2"
    yield "indent.yaml", b"hydra:\n  sweeper:\n n_trials: 2\n", "not valid YAML on line 3"
    yield "latin1.yaml", "# café\nhydra: {}\n".encode("latin-1"), "is not UTF-8 (byte 0xe9 on line 1)"
    yield "utf16.yaml", "hydra: {}\n".encode("utf-16"), "is not UTF-8 (byte 0xff on line 1)"
    yield "list.yaml", b"- model.units: 4\n", "holds a list, not a mapping"
    yield "scalar.yaml", b"just words\n", "holds a str, not a mapping"


def test_sweep_files_with_bad_yaml_or_encoding_are_one_line(cli, home):
    from textsweep.config.sweep_files import check_sweep_file
    from textsweep.errors import ConfigError

    for i, (name, content, expected) in enumerate(bad_sweep_files()):
        path = home / name
        path.write_bytes(content)
        with pytest.raises(ConfigError, match=re.escape(expected)):
            check_sweep_file(path)
        if i < 2:  # as a user meets it: a file path, and a name in the project's sweeps/
            (home / "sweeps").mkdir(exist_ok=True)
            (home / "sweeps" / name).write_bytes(content)
            for target in (str(path), name[:-5]):
                result = cli("sweep", target, timeout=120)
                assert result.returncode == 2 and expected in one_line(result), target


def bad_vectorizers():
    """(key, a change to a valid vectoriser file): types, ranges and shapes a crafted model folder may hold."""
    yield "maxlen", lambda m: m["vectorizer"].update(maxlen="16")
    yield "maxlen", lambda m: m["vectorizer"].update(maxlen=0)
    yield "maxlen", lambda m: m["vectorizer"].update(maxlen=10**12)
    yield "maxlen", lambda m: m["vectorizer"].update(maxlen=True)
    yield "oov_id", lambda m: m["vectorizer"].update(oov_id=10**18)
    yield "oov_id", lambda m: m["vectorizer"].update(oov_id=-1)
    yield "start_id", lambda m: m["vectorizer"].update(start_id=99)
    yield "vocab", lambda m: m["vectorizer"].update(vocab="a b c")
    yield "vocab", lambda m: m["vectorizer"].update(vocab=[1, 2, 3])
    yield "padding", lambda m: m["vectorizer"].update(padding="middle")
    yield "lowercase", lambda m: m["vectorizer"].update(lowercase="yes")
    yield "vectorizer.evil", lambda m: m["vectorizer"].update(evil=1)
    yield "class_names", lambda m: m.update(class_names=["only"])
    yield "class_names", lambda m: m.update(class_names=["a", "a"])
    yield "bucket_lengths", lambda m: m.update(bucket_lengths=[8, 4])
    yield "bucket_lengths", lambda m: m.update(bucket_lengths=[8, 10**9])
    yield "vectorizer", lambda m: m.update(vectorizer=[])
    yield "full_vectorizer.maxlen", lambda m: m.update(full_vectorizer={**m["vectorizer"], "maxlen": "9"})
    yield "full_vectorizer", lambda m: m.update(full_vectorizer="words")


def test_vectoriser_files_are_checked_against_their_schema(cli, home):
    import copy
    import json

    from textsweep.errors import DataError
    from textsweep.pipeline.vectorize import Vectorizer
    from textsweep.pipeline.vectorizer_file import read_vectorizer_file

    vectorizer = Vectorizer.fit(["a fine film", "a dull film", "fine fine"], max_tokens=20, maxlen=16)
    valid = {"vectorizer": json.loads(vectorizer.to_json()), "class_names": ["negative", "positive"], "bucket_lengths": [8, 16]}
    path = home / "textsweep_text.json"
    path.write_text(json.dumps(valid))
    assert read_vectorizer_file(str(path)) == valid  # what save_model writes passes
    for key, change in bad_vectorizers():
        meta = copy.deepcopy(valid)
        change(meta)
        path.write_text(json.dumps(meta))
        with pytest.raises(DataError, match=re.escape(key)):
            read_vectorizer_file(str(path))
    for raw in (b"{not json", b"\xff\xfe{}", b"[]"):
        path.write_bytes(raw)
        with pytest.raises(DataError):
            read_vectorizer_file(str(path))
    folder = home / "crafted"  # as a user meets it: predict on a model folder with a crafted vectoriser
    (folder / "data").mkdir(parents=True)
    (folder / "MLmodel").write_text("flavors:\n  textsweep: {vectorizer: data/textsweep_text.json}\n")
    (folder / "data" / "model.keras").write_bytes(b"not read")
    crafted = copy.deepcopy(valid)
    crafted["vectorizer"]["maxlen"] = "16"
    (folder / "data" / "textsweep_text.json").write_text(json.dumps(crafted))
    result = cli("predict", str(folder), "a fine film", timeout=120)
    assert result.returncode == 2 and "maxlen='16' is not valid" in one_line(result)


def _load_csv(compose, path: Path, *overrides: str):
    from textsweep.pipeline.data import load_dataset

    cfg = compose("dataset=csv", f"dataset.path={path}", "dataset.text_column=review", "dataset.label_column=sentiment",
                  *overrides)
    return load_dataset(cfg.dataset, cfg.trainer, 0, None)


def bad_labels():
    """(label that replaces 'positive' on some rows, what the line names)."""
    for variant in ("Positive", "POSITIVE", " positive", "positive ", "\tpositive"):
        yield variant, "differ only in case, surrounding spaces"
    for missing in ("None", "#N/A", "NULL", "null", "NaN", "nan", "N/A", "<NA>", "-nan", "nil", "#NA"):
        yield missing, "mark a missing label"
    for number in ("1", "0", "2.0"):
        yield number, "labels mix numbers"


def test_labels_that_would_split_a_class_are_refused_in_one_line(compose, tmp_path):
    from conftest import review_rows

    from textsweep.errors import DataError

    rows = review_rows(80)
    for i, (label, expected) in enumerate(bad_labels()):
        path = write_csv(tmp_path / f"labels{i}.csv", [(t, label if y == "positive" and j % 3 == 0 else y)
                                                       for j, (t, y) in enumerate(rows)])
        with pytest.raises(DataError, match=expected) as e:
            _load_csv(compose, path)
        assert "\n" not in str(e.value), label


def test_ragged_csv_rows_are_refused_with_their_line(compose, tmp_path):
    from conftest import review_rows

    from textsweep.errors import DataError

    rows = review_rows(60)
    for line, extra in ((2, "fun film"), (30, "a,b"), (61, "x")):
        path = tmp_path / f"ragged{line}.csv"
        write_csv(path, rows)
        text = path.read_text().splitlines()
        text[line - 1] += f",{extra}"  # an unquoted comma: one field more than the header
        path.write_text("\n".join(text) + "\n")
        with pytest.raises(DataError, match=f"line {line} has more fields than its header"):
            _load_csv(compose, path)


def test_splits_too_small_to_learn_from_are_refused_with_the_counts(compose, tmp_path):
    from conftest import review_rows

    from textsweep.errors import DataError

    path = write_csv(tmp_path / "reviews.csv", review_rows(200))
    for overrides in (["dataset.test_split=0.9995"], ["dataset.test_split=0.95"], ["trainer.validation_split=0.95"]):
        with pytest.raises(DataError, match=r"(too small to learn from|too few rows to split).*rows per class: training "
                                            r"negative \d+, positive \d+; validation negative \d+"):
            _load_csv(compose, path, *overrides)
    small = write_csv(tmp_path / "small.csv", review_rows(200)[:30])  # 3 validation rows in all
    with pytest.raises(DataError, match="the (training|validation) split is too small"):
        _load_csv(compose, small, "trainer.validation_split=0.05")
    assert len(_load_csv(compose, path).y_train) >= 100  # the tiny tests' sizes pass


def non_finite_settings():
    for value in ("nan", "inf", "-inf"):
        yield f"trainer.early_stopping.min_delta={value}"
        yield f"trainer.learning_rate={value}"
        yield f"dataset.test_split={value}"
        yield f"trainer.validation_split={value}"
        yield f"+trainer.custom_rate={value}"


def test_non_finite_numbers_are_refused_in_any_float_setting(cli, compose):
    from textsweep.config.validate import validate_config
    from textsweep.errors import ConfigError
    from textsweep.sweeping.search_space import parse_search_space

    for override in non_finite_settings():
        with pytest.raises(ConfigError, match="is not a finite number"):
            validate_config(compose(override))
    for dimension in ("model.dropout=interval(0, nan)", "trainer.learning_rate=tag(log, interval(1e-4, inf))",
                      "model.units=range(1, inf)"):
        with pytest.raises(ConfigError, match="is not a finite number"):
            parse_search_space({}, [dimension])
    result = cli("train", "trainer.early_stopping.min_delta=nan", *TINY)
    assert result.returncode == 2 and "min_delta=nan is not a finite number" in one_line(result)
    for key in ("timeout", "max_failure_rate", "heartbeat_interval"):  # the sweeper's own numeric settings
        for value in ("nan", "inf"):
            swept = cli("train", "-m", "hydra/sweeper=optuna", f"hydra.sweeper.{key}={value}", "model.units=4,8", *TINY)
            # the float ones by the sweeper's check; heartbeat_interval, an integer, by the schema's type
            expected = f"hydra.sweeper.{key}: Value '{value}'" if key == "heartbeat_interval" else \
                f"hydra.sweeper.{key}={value} is not a finite number"
            assert swept.returncode == 2 and expected in one_line(swept), swept.stderr[-2000:]


def test_an_over_long_run_name_is_refused_in_one_line(compose):
    from textsweep.config.validate import validate_config
    from textsweep.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^run_name is 300 characters long \(at most 200"):
        validate_config(compose("run_name=" + "r" * 300))
    validate_config(compose("run_name=" + "r" * 200))


def wildcard_hosts():
    yield from ("", " ", "*", "::", "[::]", "0", "0x0", "0.0", "::0", "0:0:0:0:0:0:0:0")


def test_a_wildcard_host_needs_an_explicit_0_0_0_0(cli):
    from textsweep.commands.ui import check_host
    from textsweep.errors import ConfigError

    for host in wildcard_hosts():
        with pytest.raises(ConfigError, match="every network interface"):
            check_host(host)
    for host in ("0.0.0.0", "127.0.0.1", "localhost", "::1"):
        check_host(host)
    for command in ("ui", "dashboard"):
        result = cli(command, "--host", "", timeout=60)
        assert result.returncode == 2 and "say --host 0.0.0.0" in one_line(result), command


def test_predict_output_quotes_tabs_newlines_and_quotes():
    import csv
    import io

    from textsweep.commands.predict import TsvWriter

    texts = ["plain", "a\ttab", "two\nlines", "a \"quote\"", "\"lead", "cr\ronly", "mixed\t\"\n'"]
    out = io.StringIO()
    writer = TsvWriter(out)
    rows = [["0.1000", "0.9000", "positive", text] for text in texts]
    for row in rows:
        writer.writerow(row)
    assert list(csv.reader(io.StringIO(out.getvalue(), newline=""), delimiter="\t")) == rows
    assert out.getvalue().splitlines()[0] == "0.1000\t0.9000\tpositive\tplain"  # plain rows stay plain


def test_a_negative_outage_grace_is_refused_in_one_line(compose):
    from textsweep.config.validate import validate_config
    from textsweep.errors import ConfigError

    with pytest.raises(ConfigError, match=r"^tracking.outage_grace_s=-1.0 must be >= 0"):
        validate_config(compose("tracking.outage_grace_s=-1"))


def test_promote_of_a_run_whose_model_is_gone_says_so_in_one_line_and_registers_nothing(client, home, tmp_path, monkeypatch):
    import mlflow

    from textsweep.errors import TrackingError
    from textsweep.results.promotion import promote

    # as `textsweep promote` sets it (mlflow.register_model works on the global store)
    monkeypatch.setattr(mlflow.tracking._tracking_service.utils, "_tracking_uri", f"sqlite:///{home / 'mlruns' / 'mlflow.db'}")

    experiment_id = client.create_experiment("e", artifact_location=str(tmp_path / "artifacts"))
    run_id = client.create_run(experiment_id).info.run_id
    client.log_metric(run_id, "final_val_accuracy", 0.8)
    client.set_tag(run_id, "textsweep.model_uri", f"runs:/{run_id}/model")  # its model's artifacts were deleted
    client.set_terminated(run_id)
    with pytest.raises(TrackingError, match=f"run {run_id}'s model .* cannot be registered"):
        promote(client, "e", "m")
    assert client.search_registered_models() == []
