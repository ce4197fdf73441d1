"""The sweep grammar of hydra-optuna-sweeper, mapped to Optuna 5 distributions.

    hydra.sweeper.params:
      model.dropout: interval(0.0, 0.5)              -> FloatDistribution(0.0, 0.5)
      model.units: int(interval(32, 128))            -> IntDistribution(32, 128)
      model.filters: range(16, 65, 16)               -> IntDistribution(16, 64, step=16)
      trainer.learning_rate: tag(log, interval(1e-4, 1e-2))  -> FloatDistribution(..., log=True)
      model: choice(lstm, cnn_lstm)                  -> CategoricalDistribution
      embedding.dim: 16,32,64                        -> CategoricalDistribution
    model.units=64,128 on the command line           -> CategoricalDistribution
    trainer.epochs=2 (no sweep)                      -> a fixed override for every trial
"""

import math
from dataclasses import dataclass, field

from textsweep.errors import ConfigError


@dataclass
class SearchSpace:
    distributions: dict = field(default_factory=dict)  # key -> optuna distribution
    fixed: list[str] = field(default_factory=list)  # plain overrides every trial gets
    # key -> range() text whose stop is a point under hydra-optuna-sweeper, which includes it (Hydra's range(),
    # and textsweep, exclude it): the sweeper names the difference to an app written for the official plugin
    stop_excluded: dict = field(default_factory=dict)


def _number(value, key: str):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigError(f"hydra.sweeper.params.{key}: {value!r} is not a finite number")
    return value


def to_distribution(override):
    """One parsed sweep override -> an Optuna distribution."""
    from hydra.core.override_parser.types import ChoiceSweep, IntervalSweep, RangeSweep
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    key = override.get_key_element()
    value = override.value()
    log = "log" in getattr(value, "tags", set())
    if isinstance(value, ChoiceSweep):
        if log:
            raise ConfigError(f"hydra.sweeper.params.{key}: tag(log, ...) applies to interval() and range(), not choice()")
        choices = tuple(value.list)
        if not choices:
            raise ConfigError(f"hydra.sweeper.params.{key}: choice() needs at least one value")
        if any(isinstance(c, (list, dict)) for c in choices):
            # Optuna stores categorical choices as JSON scalars; block lists belong in preset files
            raise ConfigError(f"hydra.sweeper.params.{key}: choice() of lists or mappings is not supported: put each "
                              "variant in a preset file (conf/model/<name>.yaml) and sweep model=choice(<name>, ...)")
        return CategoricalDistribution(choices)
    if isinstance(value, RangeSweep):
        start, stop, step = _number(value.start, key), _number(value.stop, key), _number(value.step, key)
        if step <= 0 or stop <= start:
            raise ConfigError(f"hydra.sweeper.params.{key}: range({start}, {stop}, {step}) is empty: it needs start < stop and step > 0")
        if all(isinstance(v, int) for v in (start, stop, step)):
            high = start + ((stop - 1 - start) // step) * step  # range's stop is exclusive, Optuna's high inclusive
            return IntDistribution(start, high, step=1 if log else step, log=log)  # Optuna: log excludes step
        high = start + int((stop - start) / step - 1e-9) * step
        return FloatDistribution(start, high, step=None if log else step, log=log)
    if isinstance(value, IntervalSweep):
        low, high = _number(value.start, key), _number(value.end, key)
        if not low < high:
            raise ConfigError(f"hydra.sweeper.params.{key}: interval({low}, {high}) is empty: it needs low < high")
        if log and low <= 0:
            raise ConfigError(f"hydra.sweeper.params.{key}: tag(log, interval({low}, {high})) needs a low bound > 0")
        if isinstance(low, int) and isinstance(high, int):
            return IntDistribution(low, high, log=log)
        return FloatDistribution(float(low), float(high), log=log)
    raise ConfigError(f"hydra.sweeper.params.{key}: unsupported sweep {value!r}: use interval, range, choice or a,b,c")


def parse_search_space(params: dict | None, arguments: list[str], allow_empty: bool = False) -> SearchSpace:
    """Search space from hydra.sweeper.params and the command line (command line wins).

    allow_empty: a custom_search_space function suggests every parameter itself."""
    from hydra.core.override_parser.overrides_parser import OverridesParser
    from hydra.errors import HydraException

    lines = [f"{k}={v}" for k, v in (params or {}).items()] + list(arguments)
    parser = OverridesParser.create()
    space = SearchSpace()
    for line in lines:
        try:
            [override] = parser.parse_overrides([line])
        except HydraException as e:
            first = str(e).strip().splitlines()[0]
            raise ConfigError(f"search space entry {line!r} is malformed ({first}): use interval(a, b), range(a, b, step), choice(a, b) or a,b") from None
        key = override.get_key_element()
        space.distributions.pop(key, None)
        space.fixed = [f for f in space.fixed if f.split("=", 1)[0] != key]
        if override.is_sweep_override():
            space.distributions[key] = to_distribution(override)
            space.stop_excluded.pop(key, None)
            if _stop_on_the_grid(override.value()):
                space.stop_excluded[key] = line.split("=", 1)[1]
            refuse_secret_dimension(key, space.distributions[key], line)
        else:
            space.fixed.append(line)
    if not space.distributions and not allow_empty:
        raise ConfigError("the search space is empty: set hydra.sweeper.params (e.g. model.units: int(interval(32, 128))) or sweep a key on the command line (model.units=64,128)")
    return space


def _stop_on_the_grid(value) -> bool:
    from hydra.core.override_parser.types import RangeSweep

    if not isinstance(value, RangeSweep) or "log" in getattr(value, "tags", set()):
        return False
    steps = (value.stop - value.start) / value.step
    return abs(steps - round(steps)) < 1e-9


def refuse_secret_dimension(key: str, distribution, line: str) -> None:
    """A credential-like key, or a choice holding a password or token, may not be searched: Optuna stores every
    choice and sampled value in its storage (and the sweeper in tags, reports and trials.csv) as is, where no
    mask can reach. Refused before any trial, with the secret masked in the line."""
    from textsweep.config.masking import SECRET_NAME, has_secret

    choices = getattr(distribution, "choices", ())
    if SECRET_NAME.search(key) or any(has_secret(c) for c in choices) or has_secret(line):
        raise ConfigError(f"{line} searches over a secret ({key}): a sweep stores every searched value in the Optuna "
                          "storage and its reports unmasked; set a credential as a fixed value (e.g. an environment "
                          "variable such as MLFLOW_TRACKING_PASSWORD), never as a search dimension")


def override_value(value) -> str:
    """A sampled value as Hydra override text (strings quoted when they need it)."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and not value.replace("_", "").replace("-", "").replace(".", "").isalnum():
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    return str(value)


def grid_points(space: SearchSpace) -> dict:
    """The grid sampler's grid: every choice, and every point of a range() (stop exclusive, as everywhere here)."""
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    grid = {}
    for key, dist in space.distributions.items():
        if isinstance(dist, CategoricalDistribution):
            grid[key] = list(dist.choices)
        elif isinstance(dist, IntDistribution) and not dist.log:
            grid[key] = list(range(dist.low, dist.high + 1, dist.step))
        elif isinstance(dist, FloatDistribution) and dist.step is not None:
            grid[key] = [dist.low + i * dist.step for i in range(int(round((dist.high - dist.low) / dist.step)) + 1)]
        else:
            raise ConfigError(f"hydra/sweeper/sampler=grid needs discrete values: {key} is {dist}; use choice() or range()")
    return grid
