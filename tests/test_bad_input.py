"""The bad-input matrix, from the command line as a user meets it: every case exits non-zero with one line
that names the key, file or column and the fix; no FINISHED MLflow run and no COMPLETE trial comes of it."""

import hashlib

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
    files["reviews.csv"] = write_csv(home / "reviews.csv", [("a fine film", "positive"), ("a dull film", "negative")] * 10)
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
