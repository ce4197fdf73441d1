"""compare's and promote's choices are made by the store (filters, order_by, max_results), not by reading every
run: on a real SQLite store mixing plain runs, sweeps' trials, parents, baselines, confirmations and pruned
trials, each choice is the one the rules name (the figures at 10,000 runs: docs/distributed.md)."""

import pytest

from textsweep.results.comparison import best_per_study, latest_per_variant, select_runs
from textsweep.results.promotion import best_run


def _run(client, exp, name, start, tags=None, metrics=None, params=None, status="FINISHED"):
    run_id = client.create_run(exp, run_name=name, start_time=start, tags=tags or {}).info.run_id
    for key, value in (metrics or {}).items():
        client.log_metric(run_id, key, value)
    for key, value in (params or {}).items():
        client.log_param(run_id, key, value)
    client.set_terminated(run_id, status)
    return run_id


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """One store for the module's tests, which only read it (creating an MLflow store is most of their time)."""
    import mlflow

    client = mlflow.MlflowClient(f"sqlite:///{tmp_path_factory.mktemp('mixed') / 'mlflow.db'}")
    exp = client.create_experiment("mixed")
    ids = {}
    t = 1_700_000_000_000
    for i, variant in enumerate(["lstm", "cnn", "lstm", "cnn", "gru"]):  # plain runs: the latest of each counts
        ids[f"{variant}{i}"] = _run(client, exp, f"{variant}-{i}", t + i, {"textsweep.variant": variant},
                                    {"final_val_accuracy": 0.5 + i / 100})
    ids["unnamed"] = _run(client, exp, "made-elsewhere", t + 5, metrics={"final_val_accuracy": 0.6})
    ids["comparison"] = _run(client, exp, "comparison", t + 6, {"textsweep.role": "comparison"})
    for study, objective in (("acc", "val_accuracy"), ("loss", "val_loss")):
        _run(client, exp, f"sweep-{study}", t + 10, {"textsweep.role": "sweep", "optuna.study": study})
        for n, (acc, loss, pruned) in enumerate([(0.7, 0.3, False), (0.9, 0.1, True), (0.8, 0.2, False), (0.6, 0.25, False)]):
            ids[f"{study}{n}"] = _run(client, exp, f"{study}-t{n}", t + 20 + n,
                                      {"optuna.study": study, "textsweep.variant": "lstm", "textsweep.dataset_fingerprint": "f",
                                       **({"pruned": "true"} if pruned else {}), "textsweep.model_uri": "runs:/x/model"},
                                      {"final_val_accuracy": acc, "final_val_loss": loss, "train_time_s": 10.0 - n},
                                      {"optuna.objective": objective})
        ids[f"{study}-re"] = _run(client, exp, f"{study}-re", t + 30, {"optuna.study": study, "textsweep.role": "confirmation",
                                                  "textsweep.model_uri": "runs:/x/model"}, {"final_val_accuracy": 0.99})
    ids["baseline"] = _run(client, exp, "linear", t + 40, {"textsweep.variant": "linear", "textsweep.role": "baseline",
                                                           "optuna.study": "acc", "textsweep.dataset_fingerprint": "f"}, {"final_val_accuracy": 0.55})
    _run(client, exp, "fresh", t + 50, {"optuna.study": "fresh", "textsweep.variant": "lstm"}, status="FAILED")
    return client, exp, ids


def test_the_default_comparison_is_the_latest_run_of_each_variant_and_each_sweeps_best_trial(mixed):
    client, exp, ids = mixed
    variants = {r.info.run_id for r in latest_per_variant(client, exp, [])}
    assert variants == {ids["lstm2"], ids["cnn3"], ids["gru4"], ids["unnamed"], ids["baseline"]}
    best = {r.data.tags["optuna.study"]: r.info.run_id for r in best_per_study(client, exp, [])}
    # acc: the best unpruned trial by accuracy; loss: by the lowest loss; fresh: no score, its latest trial
    assert best["acc"] == ids["acc2"] and best["loss"] == ids["loss2"] and set(best) == {"acc", "loss", "fresh"}
    shown = {r.info.run_id for r in select_runs(client, "mixed")}
    assert shown == variants | set(best.values())


def test_a_listing_shows_the_best_runs_first_up_to_the_limit(mixed):
    client, exp, ids = mixed
    runs = select_runs(client, "mixed", sweep="acc", limit=3)
    assert [r.info.run_id for r in runs[:3]] == [ids["acc-re"], ids["acc1"], ids["acc2"]]  # the parent left out
    assert [r.info.run_id for r in runs[3:]] == [ids["baseline"]]  # the baseline on the same data, added
    assert len(select_runs(client, "mixed", sweep="acc", limit=0)) == 6  # 4 trials, the re-training, the baseline


def test_promote_takes_the_best_run_with_a_model_and_the_fastest_within_a_margin(mixed):
    client, exp, ids = mixed
    assert best_run(client, "acc").info.run_id == ids["acc1"]  # confirmations never; a pruned run with a model counts
    assert best_run(client, "acc", within=0.15).info.run_id == ids["acc2"]  # 0.8 is within 0.15 of 0.9, and faster
