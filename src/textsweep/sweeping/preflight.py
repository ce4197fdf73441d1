"""A sweep's configuration checked before any trial, study entry or parent run exists.

Without this, a sweep of the `reviews` file without `dataset.path` would run its first trials, each failing
with "dataset.path is not set", and add them as FAIL trials to the persistent study. Here the config of the
first trial is composed the way the launcher will compose it, and what every trial reads is validated the way
the job will validate it (`config/validate.validate_inputs`: the dataset's values and its source's `check`
(path, a readable file, the CSV header's columns), and the embedding's unless the sweep searches it): an error
is the one-line ConfigError/DataError a single run would show, exit 2, and the study is left as it was.
What depends on a trial's own values (a preset that cannot take model.wide, say) stays the trial's check:
a point some trials cannot take does not stop the others.
"""

from optuna.distributions import CategoricalDistribution

from textsweep.sweeping.search_space import override_value


def first_values(space) -> list[str]:
    """An override per searched key, with a value any trial could draw: the first choice, or the lower bound.
    (Bounds are checked by `steps.check_space`; here they only make the config composable.)"""
    overrides = []
    for key, dist in space.distributions.items():
        value = dist.choices[0] if isinstance(dist, CategoricalDistribution) else dist.low
        overrides.append(f"{key}={override_value(value)}")
    return overrides


def check_first_trial(config_loader, sweep_config, space) -> None:
    """Compose the first trial's config from the sweep's fixed overrides and a value per searched key, and
    validate its inputs as the trial's job would; raises the job's ConfigError/DataError, before the sweep
    touches any store."""
    import sys

    from textsweep.config.validate import unknown_key_lines, validate_inputs

    cfg = config_loader.load_sweep_config(sweep_config, [*space.fixed, *first_values(space)])
    searches_embedding = any(key == "embedding" or key.startswith("embedding.") for key in space.distributions)
    validate_inputs(cfg, embedding=not searches_embedding)
    for line in unknown_key_lines(cfg):  # once for the sweep, not once a trial (train.py skips it in a sweep's jobs)
        print(f"textsweep: warning: {line}", file=sys.stderr, flush=True)
