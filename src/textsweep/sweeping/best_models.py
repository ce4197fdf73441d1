"""tracking.best_models_only, Keras's save_best_only for a sweep: which trials log their model."""

from omegaconf import DictConfig

from textsweep.sweeping.objectives import metric_values


def model_not_kept(tracking: DictConfig, optuna: DictConfig, trial, final: dict) -> str | None:
    """Why this run logs no model (None: it logs one). A trial among the final top k was among the top k when it
    finished, so every model that promote or the confirmation can pick is kept."""
    if not tracking.best_models_only:
        return None
    if optuna.confirm_of is not None:
        of = "the baseline" if optuna.confirm_of == -1 else f"trial {optuna.confirm_of}"
        return f"a confirmation re-training of {of} (tracking.best_models_only)"
    if trial is None or optuna.keep_top_k is None:
        return None
    values = metric_values(final, [optuna.objective])
    k = optuna.keep_top_k
    if values is None or trial.ranks_among_best(values[0], k):
        return None
    return f"ranked below the top {k} trials when it finished (tracking.best_models_only=false keeps every model)"
