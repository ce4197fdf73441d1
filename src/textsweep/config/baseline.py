"""The built-in linear baseline: logistic regression over a TF-IDF bag of the uni- and bigrams of the whole text, its
L2 strength chosen on validation (model preset bag_of_ngrams; pipeline/linear.py fits it, docs/baseline.md).

Trained by the same pipeline, on the same split, and logged like any run (tag textsweep.role=baseline),
so every comparison can say whether a neural model earned its cost. `textsweep train baseline=true` trains
it on any config's data; a sweep trains it once per study and reports its trials against it.
"""

from omegaconf import DictConfig, OmegaConf, open_dict

PRESET = "bag_of_ngrams"
ROLE_TAG = "textsweep.role"
VALUE_ATTR = "textsweep.baseline"  # study user attribute: {"value", "run_id", "test_accuracy"}


def baseline_config(cfg: DictConfig) -> DictConfig:
    """cfg with its model replaced by the baseline preset; dataset, split and trainer stay as they are.

    Replaced whole, not overridden: a sweep file may have rewritten model.blocks, which an override of the
    `model` group would not undo."""
    from textsweep.config.paths import config_dir

    preset = OmegaConf.load(f"{config_dir()}/model/{PRESET}.yaml")
    out = cfg.copy()
    with open_dict(out):
        for key in list(out.model.keys()):
            if key == "wide":  # the baseline is the bag alone
                out.model.wide = 0
            elif key == "linear_blend":
                out.model.linear_blend = False
            elif key not in ("name", "blocks"):
                out.model[key] = None
        out.model.merge_with(preset)
        out.run_name = out.run_name or "baseline"
    return out
