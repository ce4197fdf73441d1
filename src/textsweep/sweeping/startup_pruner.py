"""`n_startup_trials` for every pruner, as Optuna's MedianPruner has it: no trial is pruned before that many
trials of the study have completed.

Why successive halving needs it. Optuna's SuccessiveHalvingPruner promotes a trial past a rung only if it is
in the top 1/reduction_factor of the trials that reached that rung, and, while fewer than reduction_factor
have, only if it is the best of them. A sweep's first trial is the preset (enqueued, a good configuration),
so every searched trial that starts slower than the preset is pruned at epoch 1 or 3, before the rungs hold
enough trials to rank. Measured with bench/pruning.py (docs/sweeps.md, "Searched trials that can win"): a
20-trial sweep completed the preset alone and pruned the other 19. Letting the first trials run their whole
budget gives the rungs a field to rank against, and the searched trials a fair chance to win.
"""

import optuna
from optuna.trial import TrialState


class StartupTrialsPruner(optuna.pruners.BasePruner):
    """`pruner`, switched on once `n_startup_trials` trials have completed (COMPLETE, the MedianPruner's count)."""

    def __init__(self, pruner: optuna.pruners.BasePruner, n_startup_trials: int):
        if n_startup_trials < 0:
            raise ValueError(f"n_startup_trials must be 0 or more, got {n_startup_trials}")
        self.pruner = pruner
        self.n_startup_trials = n_startup_trials

    def prune(self, study: "optuna.study.Study", trial: "optuna.trial.FrozenTrial") -> bool:
        # asked even while its verdict is ignored: successive halving records each trial's value at each rung as
        # it asks, and the start-up trials are the field that the later ones are ranked against
        verdict = self.pruner.prune(study, trial)
        started = len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))) >= self.n_startup_trials
        return verdict and started


def with_startup_trials(cls: type, kwargs: dict) -> optuna.pruners.BasePruner:
    """`cls(**kwargs)`; where `cls` has no `n_startup_trials` of its own (successive halving, hyperband), the
    pruner wrapped in StartupTrialsPruner with it."""
    import inspect

    if "n_startup_trials" not in kwargs or "n_startup_trials" in inspect.signature(cls).parameters:
        return cls(**kwargs)
    kwargs = dict(kwargs)
    n_startup_trials = int(kwargs.pop("n_startup_trials"))
    pruner = cls(**kwargs)
    return StartupTrialsPruner(pruner, n_startup_trials) if n_startup_trials else pruner
