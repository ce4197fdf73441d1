"""The MLflow side of one run, as hooks around the training pipeline (train.track_run wires them):

- run_identity: the run's name and tags, before the run exists (what differs, the sweep it belongs to);
- log_begin: params (the resolved config), the setup metrics, config.yaml and the model summary;
- every epoch: epoch_logger.MlflowEpochLogger, a Keras callback;
- log_end: the final metrics, the accuracy curves, the explanations, the pruned tags and the model.
Nothing here trains or evaluates: the pipeline hands over what it computed.
"""

import tempfile
from pathlib import Path


def run_identity(cfg, data, buckets, not_applicable, trial, label: str, overrides: list[str], parent: str | None,
                 multirun: bool) -> tuple[str, dict]:
    from textsweep.config.baseline import ROLE_TAG
    from textsweep.tracking.runs import mask_secrets

    run_name = cfg.run_name or label
    tags = {
        "textsweep.variant": cfg.model.name,
        "textsweep.dataset": cfg.dataset.name,
        "textsweep.dataset_fingerprint": data.fingerprint,
        "textsweep.validation_protocol": data.validation_protocol,
        "textsweep.data_cache": "hit" if data.from_cache else "miss",
        "textsweep.overrides": mask_secrets(" ".join(overrides)),
    }
    if buckets is not None:
        tags["textsweep.bucket_lengths"] = ",".join(map(str, buckets.lengths))
    if cfg.optuna.confirm_of is not None:  # a re-training with another seed, of a trial or (-1) of the baseline
        of = "baseline" if cfg.baseline else str(cfg.optuna.confirm_of)
        tags.update({ROLE_TAG: "confirmation", "textsweep.confirm_of": of})
        run_name = f"{run_name}-seed{cfg.seed}" if cfg.baseline else f"{run_name}-t{of}-seed{cfg.seed}"
    elif cfg.baseline:
        tags[ROLE_TAG] = "baseline"
    if cfg.optuna.study_name is not None:
        tags["optuna.study"] = cfg.optuna.study_name
    if not_applicable:
        tags["textsweep.not_applicable"] = ",".join(f"model.{k}" for k in not_applicable)
    if trial is not None:
        run_name = f"{run_name}-t{trial.number}"
        tags["optuna.trial"] = str(trial.number)
    if parent and multirun:
        tags["mlflow.parentRunId"] = parent
    return run_name, tags


def log_begin(client, run_id: str, cfg, model, data, pretrained) -> tuple[tuple[int, int], dict]:
    """Returns ((trainable, non-trainable) parameter counts, the params logged)."""
    from textsweep.tracking.artifacts import model_summary_text
    from textsweep.pipeline.model import parameter_counts
    from textsweep.tracking.runs import config_params, log_params, redacted_yaml

    counts = parameter_counts(model)
    params = config_params(cfg)
    setup = {"params_trainable": counts[0], "params_non_trainable": counts[1], "vocab_size": data.vocab_size,
             "train_examples": len(data.y_train), "val_examples": len(data.y_val), "test_examples": len(data.y_test)}
    if data.full_vectorizer is not None:  # the n-gram bag reads each text's first ngram_cap tokens: how many were longer
        setup.update(ngram_cap=data.ngram_cap, ngram_texts_cut=data.texts_cut)
    if pretrained is not None:
        setup["embedding_coverage"] = pretrained.coverage
    log_params(client, run_id, params, metrics=setup)  # one write for both (MLflow's batch limits permitting)
    client.log_text(run_id, redacted_yaml(cfg), "config.yaml")
    client.log_text(run_id, model_summary_text(model), "model_summary.txt")
    return counts, params


def log_end(client, experiment_id: str, run_id: str, cfg, model, data, history: dict, final: dict, params: dict,
            run_name: str, buckets, pruned_at: int | None, keep_model: str | None, explain: int, curve_png: bool) -> None:
    """keep_model: None logs the model (tracking.log_model permitting), else the reason it is not kept."""
    from textsweep import serving
    from textsweep.tracking.artifacts import accuracy_curve_png
    from textsweep.tracking.runs import log_metrics

    # Pruned is a normal outcome of a sweep: the run stays FINISHED, tagged with where it stopped (one write with
    # the final metrics).
    tags = {"pruned": "true", "textsweep.pruned_at_epoch": str(pruned_at)} if pruned_at is not None else {}
    if pruned_at is None and cfg.tracking.log_model and keep_model is not None:
        tags["textsweep.no_model"] = keep_model
    log_metrics(client, run_id, final, step=final["epochs_run"], tags=tags)
    if curve_png:
        with tempfile.TemporaryDirectory() as tmp:
            png = accuracy_curve_png(history, Path(tmp) / "accuracy_curve.png", f"{run_name} ({cfg.dataset.name})")
            client.log_artifact(run_id, str(png))
    if explain > 0 and data.vectorizer.reads_text:
        log_explanations(client, run_id, serving.TextClassifier(model, data.vectorizer, data.class_names, buckets,
                                                                data.full_vectorizer), data, explain, f"{cfg.run_name or cfg.model.name}")
    if pruned_at is None and cfg.tracking.log_model and keep_model is None:
        info = serving.log_model(client, experiment_id, run_id, model, data.vectorizer, data.class_names, params,
                                 buckets=buckets, full_vectorizer=data.full_vectorizer)
        client.set_tag(run_id, "textsweep.model_uri", info.model_uri)


def log_explanations(client, run_id: str, classifier, data, count: int, name: str) -> None:
    """explanations/validation_examples.html: which words drove the model on a few validation examples."""
    from textsweep.pipeline.explain import explain_text
    from textsweep.rendering.explanations import to_html

    if data.full_vectorizer is not None:  # the whole text, up to the n-gram cap
        texts = [data.full_vectorizer.decode(row) for row in data.full_val[:count]]
    else:
        texts = [data.vectorizer.decode(row) for row in data.x_val[:count]]
    explanations = [explain_text(classifier, text) for text in texts if text]
    title = f"{name}: word contributions on validation examples (occlusion)"
    client.log_text(run_id, to_html(explanations, title), "explanations/validation_examples.html")
