"""`textsweep train`: one run, as data flows through it.

compose (Hydra) -> validate -> data -> embedding -> model -> fit -> evaluate -> track -> objective.
Also `python -m textsweep train`. `textsweep train -m model=lstm,cnn_lstm` is a Hydra multirun.
Everything a user can get wrong is checked before TensorFlow is imported and before an MLflow run exists.
"""

import logging
import os
import time

import hydra
from omegaconf import DictConfig, OmegaConf

from textsweep.quiet import for_textsweep_commands

for_textsweep_commands()  # textsweep's app, also when a launcher's worker process imports it to run a job
import textsweep.config.schema  # noqa: F401  (registers the structured config schema)
from textsweep.config.paths import config_dir
from textsweep.errors import Escalated, TextsweepError
from textsweep.interrupts import signals_as_interrupt
from textsweep.sweeping.multirun import PARENT_ENV

log = logging.getLogger("textsweep")


def hydra_overrides() -> list[str]:
    from hydra.core.hydra_config import HydraConfig

    return list(HydraConfig.get().overrides.task) if HydraConfig.initialized() else []


def in_sweep(cfg: DictConfig) -> bool:
    """A job that textsweep's sweeper launched (a trial, the baseline or a confirmation run)."""
    return cfg.optuna.study_name is not None


def run_training(cfg: DictConfig) -> dict[str, float | str]:
    """Train, evaluate and track one run; returns its final metrics (val_accuracy is the objective) and run_id."""
    from textsweep.config.baseline import baseline_config
    from textsweep.pipeline.data import load_dataset
    from textsweep.pipeline.embedding import build_embedding
    from textsweep.errors import ConfigError
    from textsweep.config.paths import RunPaths
    from textsweep.tracking.runs import open_experiment
    from textsweep.config.validate import is_ngram_model, unknown_key_lines, validate_config

    if cfg.baseline:
        cfg = baseline_config(cfg)
    not_applicable = validate_config(cfg, in_sweep=in_sweep(cfg))
    for line in [] if in_sweep(cfg) else unknown_key_lines(cfg):  # a typo behind a +, which Hydra composes in
        log.warning(line)                                           # silence (a sweep says it once: preflight.py)
    for knob in not_applicable:  # logged as not applicable, never silently used
        cfg.model[knob] = None
    started = time.perf_counter()
    split_seed = cfg.seed if cfg.dataset.split_seed is None else cfg.dataset.split_seed
    ngram_model = is_ngram_model(cfg.model)
    data = load_dataset(cfg.dataset, cfg.trainer, split_seed, RunPaths.of(cfg).dataset_cache,
                        whole_texts=ngram_model or bool(cfg.model.wide) or bool(cfg.model.linear_blend))
    if ngram_model and not data.vectorizer.reads_text:
        raise ConfigError("the n-gram baseline reads raw text, and this dataset's vocabulary has ids only (dataset=imdb "
                          "without imdb_word_index.json): set dataset.word_index_path, or hydra.sweeper.baseline=false")
    if cfg.dataset.maxlen is None:  # it followed the data: the length the arrays have, checked against the blocks
        from textsweep.config.blocks import check_blocks

        cfg.dataset.maxlen = data.vectorizer.maxlen
        check_blocks(OmegaConf.to_container(cfg.model.blocks, resolve=True), cfg.dataset.maxlen)
    pretrained = None if ngram_model else build_embedding(cfg.embedding, data.vectorizer.vocab, cfg.seed)
    timings = {"time_data_s": time.perf_counter() - started}
    client, experiment_id = open_experiment(cfg)

    import keras

    from textsweep.pipeline.buckets import bucketing_on
    from textsweep.pipeline.model import build_model, compile_model, warn_off_cudnn

    started = time.perf_counter()
    freeze_imported_objects()
    keras.backend.clear_session()  # trials in one process (basic launcher) must not pile up graphs and memory
    keras.utils.set_random_seed(cfg.seed)
    blocks = OmegaConf.to_container(cfg.model.blocks, resolve=True)
    bucketing = bucketing_on(cfg.trainer.bucketing, blocks, in_sweep(cfg))
    buckets = length_buckets(cfg.dataset, cfg.trainer, data, blocks) if bucketing else None
    model = build_model(
        blocks, vocab_size=data.vocab_size, embedding_dim=cfg.embedding.dim, trainable_embedding=cfg.embedding.trainable,
        maxlen=None if buckets else cfg.dataset.maxlen, num_classes=data.num_classes, pretrained=pretrained,
        name=cfg.model.name, mask_zero=cfg.embedding.mask_zero, full_train=data.full_train,
        full_vocab_size=data.full_vectorizer.size if data.full_vectorizer else 0, wide=cfg.model.wide,
    )
    if linear_bag(cfg) is None:  # the linear bag is fitted by scikit-learn's solver: no Keras optimizer to carry
        compile_model(model, cfg.trainer.optimizer, cfg.trainer.learning_rate, data.num_classes)
    warn_off_cudnn(blocks)
    timings["time_build_s"] = time.perf_counter() - started
    return track_run(cfg, client, experiment_id, model, data, pretrained, timings, buckets, not_applicable)


def variant_label(cfg: DictConfig) -> str:
    """A run's name when none is given: the preset, plus the structural choices that differ from its defaults'
    usual values, so the trials of a sweep over presets and knobs say what differs (`cnn_lstm-gru-bi-maxpool`)."""
    m, parts = cfg.model, [cfg.model.name]
    if m.cell not in (None, "lstm"):
        parts.append(m.cell)
    if m.bidirectional:
        parts.append("bi")
    if m.reduce not in (None, "last"):
        parts.append(f"{m.reduce}pool")
    if m.wide:
        parts.append("wide")
    if m.linear_blend:
        parts.append("blend")
    if m.blocks and m.blocks[0].get("type") != "ngram_bag" and cfg.embedding.name != "learned":
        parts.append(cfg.embedding.name + ("" if cfg.embedding.trainable else "-frozen"))
    return "-".join(parts)


def freeze_imported_objects() -> None:
    """Once per process, before its first model: move the ~600,000 objects that importing TensorFlow, Keras
    and MLflow created out of the cyclic garbage collector's scans (gc.freeze). Each full collection,
    one per trial in clear_session() among them, takes milliseconds instead of ~0.3 s, and so does the
    last one when the process exits (1.2 s before). Nothing a trial makes is frozen, so every trial's
    models and graphs are still collected. No collection runs first: it would cost the same 0.3 s, and a
    fresh process has no garbage here (measured: 0 objects)."""
    global _imports_frozen
    if not _imports_frozen:
        import gc

        gc.freeze()
        _imports_frozen = True


_imports_frozen = False


def length_buckets(dataset: DictConfig, trainer: DictConfig, data, blocks: list[dict]):
    """trainer.bucketing: bucket lengths from the training split, never shorter than the model accepts."""
    from textsweep.config.blocks import min_sequence_length
    from textsweep.pipeline.buckets import Buckets, sequence_lengths

    padding = dataset.padding
    return Buckets.from_lengths(sequence_lengths(data.x_train, padding), dataset.maxlen, trainer.buckets,
                                min_sequence_length(blocks), padding)


def track_run(cfg, client, experiment_id, model, data, pretrained, timings: dict, buckets=None,
              not_applicable: list[str] = ()) -> dict[str, float]:
    """The fit and the evaluation, with the MLflow run (textsweep.tracking.run_log) and the Optuna trial (a Keras
    callback) attached as hooks: begin, every epoch, end. Where the time goes is logged too: time_data_s,
    time_build_s, train_time_s, time_evaluate_s, time_log_s."""
    from textsweep.pipeline.fit import early_stopping_monitor
    from textsweep.sweeping.best_models import model_not_kept
    from textsweep.sweeping.keras_pruning import OptunaPruning, reported_best
    from textsweep.tracking.epoch_logger import MlflowEpochLogger
    from textsweep.tracking.run_log import log_begin, log_end, run_identity
    from textsweep.tracking.runs import log_metrics, mlflow_run

    trial = open_trial(cfg)
    run_name, tags = run_identity(cfg, data, buckets, not_applicable, trial, variant_label(cfg), hydra_overrides(),
                                  parent=cfg.optuna.parent_run_id or os.environ.get(PARENT_ENV), multirun=_is_multirun())
    epoch_logger = MlflowEpochLogger(client, None, cfg.tracking.outage_grace_s, cfg.optuna.objective)
    monitor = early_stopping_monitor(cfg.trainer, cfg.optuna.objective, in_sweep(cfg))
    pruning = (OptunaPruning(trial, cfg.optuna.objective, reported_best(cfg.trainer, cfg.optuna.objective, monitor), cfg.trainer.epochs)
               if trial is not None else None)
    try:
        with signals_as_interrupt(), mlflow_run(client, experiment_id, run_name, tags) as run_id:
            epoch_logger.run_id = run_id
            if trial is not None:
                trial.set_user_attr("mlflow_run_id", run_id)
            counts, params = log_begin(client, run_id, cfg, model, data, pretrained)
            fitted, final, model = fit_and_score(model, data, cfg.trainer, cfg.seed,
                                                 [epoch_logger] + ([pruning] if pruning else []), buckets, monitor, timings,
                                                 linear_bag(cfg), bool(cfg.model.linear_blend))
            pruned_at = pruning.pruned_at if pruning else None
            if trial is not None:  # beside the value: the verdict shows a selection's test accuracy (sweeping/verdict.py)
                trial.set_user_attr("test_accuracy", float(final["test_accuracy"]))
                if "linear_weight" in final:  # the verdict says how much of the selection is the linear model
                    trial.set_user_attr("linear_weight", float(final["linear_weight"]))
            epoch_logger.wait_for_store()  # an outage since the last epoch: waited out, not a failed training
            started = time.perf_counter()
            keep_model = model_not_kept(cfg.tracking, cfg.optuna, trial, final) if pruned_at is None and cfg.tracking.log_model else None
            logs_model = pruned_at is None and cfg.tracking.log_model and keep_model is None
            log_end(client, experiment_id, run_id, cfg, model, data, fitted.history, final, params, run_name, buckets,
                    pruned_at, keep_model=keep_model, explain=_explain_count(cfg), curve_png=_curve_png(cfg, logs_model))
            timings["time_log_s"] = time.perf_counter() - started
            log_metrics(client, run_id, timings)
        if pruned_at is not None:
            trial.tell_pruned()
    finally:
        if trial is not None:
            trial.close()
    if data.texts_cut:
        log.info("the n-gram bag read the first %d tokens of %d text(s) longer than that (dataset.ngram_cap; logged as "
                 "ngram_texts_cut)", data.ngram_cap, data.texts_cut)
    log.info(
        "%s: val_accuracy=%.4f test_accuracy=%.4f epochs=%d train_time=%.1fs params=%d run_id=%s%s%s",
        run_name, final["final_val_accuracy"], final["test_accuracy"], final["epochs_run"], final["train_time_s"],
        sum(counts), run_id, f" (pruned at epoch {pruned_at})" if pruned_at else "", " (data from cache)" if data.from_cache else "",
    )
    return {**{k: float(v) for k, v in final.items()}, "params_trainable": float(counts[0]),  # an objective of multi-objective sweeps
            "pruned_at_epoch": float(pruned_at or 0), "run_id": run_id}


def linear_bag(cfg) -> dict | None:
    """The n-gram bag block when the model is the linear bag alone (fitted by pipeline/linear.py), else None."""
    from textsweep.pipeline.model import is_linear_bag

    blocks = OmegaConf.to_container(cfg.model.blocks, resolve=True)
    return blocks[0] if is_linear_bag(blocks) else None


def fit_and_score(model, data, trainer: DictConfig, seed: int, callbacks: list, buckets, monitor: str | None, timings: dict,
                  linear: dict | None = None, blend: bool = False):
    """Fit (Keras, or the linear solver for the n-gram bag alone: `linear` is its block), then score validation
    (the fit's own last or restored epoch) and test: loss, accuracy and macro-F1. Knows nothing of MLflow or
    Optuna: they come in as callbacks. blend (model.linear_blend): the network is blended with the linear model,
    w chosen on validation each epoch (pipeline/blend.py). Returns (Fitted, the final metrics, the model to log:
    `model`, or its blend)."""
    from textsweep.pipeline.fit import fit_model, predict_split, split_scores

    batch = max(trainer.batch_size, 256)
    if linear is not None:
        from textsweep.pipeline.linear import fit_linear

        fitted = fit_linear(model, data, linear.get("C"), callbacks)
    elif blend:
        from textsweep.pipeline.blend import BlendOnValidation, blended, linear_part

        part = linear_part(data)
        scorer = BlendOnValidation(part, data.y_val, lambda m: predict_split(m, data.x_val, data.full_val, batch, buckets))
        fitted = fit_model(model, data, trainer, callbacks, buckets, seed, monitor, scorers=[scorer])
        weight = scorer.weight_at(fitted.restored_epoch)
        model = blended(model, part, weight, data.num_classes)
        fitted.chosen.update(linear_weight=weight, linear_C=part.fit.C)
    else:
        fitted = fit_model(model, data, trainer, callbacks, buckets, seed, monitor)
    started = time.perf_counter()
    val = split_scores(predict_split(model, data.x_val, data.full_val, batch, buckets), data.y_val)
    test = split_scores(predict_split(model, data.x_test, data.full_test, batch, buckets), data.y_test)
    # fit() scored the weights the model holds (the last epoch's, or the restored best epoch's) on the validation
    # split already; the pass above adds macro-F1, and stands in when fit did not validate
    val_loss, val_accuracy = fitted.validation_scores() or (val["loss"], val["accuracy"])
    final = {
        "final_val_accuracy": val_accuracy, "final_val_loss": val_loss, "val_macro_f1": val["macro_f1"],
        "best_val_accuracy": max(fitted.history.get("val_accuracy", [val_accuracy])),
        "test_accuracy": test["accuracy"], "test_loss": test["loss"], "test_macro_f1": test["macro_f1"],
        "train_time_s": fitted.seconds, "epochs_run": fitted.epochs_run, **fitted.chosen,
    }
    if fitted.restored_epoch is not None:
        final["best_epoch"] = fitted.restored_epoch + 1
    timings["time_evaluate_s"] = time.perf_counter() - started
    return fitted, final, model


def _curve_png(cfg, logs_model: bool) -> bool:
    """tracking.curve_png: null draws it for a plain run, and in a sweep for the trials that keep their model."""
    if cfg.tracking.curve_png is not None:
        return cfg.tracking.curve_png
    return not in_sweep(cfg) or logs_model


def _explain_count(cfg) -> int:
    """tracking.explain_examples: null is 5 for a plain run, 0 for a sweep's jobs."""
    count = cfg.tracking.explain_examples
    return (0 if in_sweep(cfg) else 5) if count is None else count


def open_trial(cfg):
    """The job's Optuna trial when the sweeper launched it, else None."""
    if cfg.optuna.trial_number is None:
        return None
    from textsweep.errors import ConfigError
    from textsweep.sweeping.objectives import PER_EPOCH
    from textsweep.sweeping.study import ReopenedTrial

    if cfg.optuna.objective not in PER_EPOCH:
        raise ConfigError(f"optuna.objective={cfg.optuna.objective!r} is not valid: use one of {', '.join(PER_EPOCH)}")
    if not (cfg.optuna.storage and cfg.optuna.study_name):
        raise ConfigError("optuna.trial_number is set without optuna.storage and optuna.study_name: the sweeper sets all three")
    return ReopenedTrial(cfg.optuna.storage, cfg.optuna.study_name, cfg.optuna.trial_number, cfg.optuna.heartbeat_interval)


def _is_multirun() -> bool:
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


@hydra.main(version_base="1.3", config_path=str(config_dir()), config_name="config")
def main(cfg: DictConfig) -> dict[str, float]:
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"  # in any launcher's worker too (see cli.main)
    try:
        return run_training(cfg)  # the sweeper reads its objective from these metrics
    except TextsweepError as e:
        if _is_multirun():  # one job of many: the sweep goes on and records it; the command's error is its own
            log.warning("%s failed: %s", cfg.run_name or cfg.model.name, e)
            raise
        # a single run: past Hydra's job wrapper (it would add "Error executing job ..."); textsweep.cli prints it, once
        raise Escalated(e) from None

