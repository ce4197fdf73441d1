"""Hydra's basic launcher composes every job's config from scratch: 0.2 to 0.45 s a trial on 2 cores, the
largest part of a sweep's cost per trial besides training. The jobs of one sweep differ only in the values of
the sampled params and the trial number, so the launcher gets a config loader that composes once per shape
(the job's config group choices, and the type of every other value: the same shapes the sweeper validates
once) and then applies a job's own overrides to a copy, the way Hydra's composition applies command-line
overrides (private_api.apply_app_overrides). tests/test_sweep.py checks the result equals a full compose."""

import copy

from omegaconf import DictConfig, open_dict


class ReusedCompose:
    def __init__(self, loader, shape_of):
        self._loader, self._shape_of, self._composed = loader, shape_of, {}

    def load_sweep_config(self, master_config: DictConfig, sweep_overrides: list[str]) -> DictConfig:
        from hydra.core.override_parser.overrides_parser import OverridesParser

        from textsweep.private_api import apply_app_overrides, override_dirname

        overrides = list(sweep_overrides)
        if any(o.lstrip("+~").startswith(("hydra.", "hydra/")) for o in overrides):
            return self._loader.load_sweep_config(master_config, overrides)  # Hydra's own settings: compose
        shape = tuple(self._shape_of(o) for o in overrides)
        if shape not in self._composed:
            composed = self._loader.load_sweep_config(master_config, overrides)
            self._composed[shape] = (copy.deepcopy(composed), overrides)
            return composed
        base, base_overrides = self._composed[shape]
        # same shape: the same keys in the same order, group choices equal; only values differ
        changed = [o for o, b in zip(overrides, base_overrides) if o != b]
        cfg = copy.deepcopy(base)
        apply_app_overrides(cfg, ["+" + o if o.startswith("+") and not o.startswith("++") else o for o in changed])
        parsed = OverridesParser.create().parse_overrides(overrides)
        with open_dict(cfg.hydra):
            cfg.hydra.overrides.task = [p.input_line for p in parsed]
            cfg.hydra.job.override_dirname = override_dirname(cfg, parsed)
        return cfg

    def __getattr__(self, name):  # everything else is the real loader's
        return getattr(self._loader, name)
