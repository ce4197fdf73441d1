"""The steps a textsweep sweep runs around its trials: the linear baseline before, the confirmation of the
winner after, and the end-of-sweep summary. Each launches ordinary Hydra jobs through the sweeper's
launcher (`launch`: override lists -> Hydra's job returns), so they run wherever the trials run (any launcher),
nested under the same MLflow parent run (`tracker`, a tracker.SweepTracker). They take values, not the sweeper.
"""

import json
import logging
import math

from textsweep.config.baseline import VALUE_ATTR
from textsweep.errors import TextsweepError

log = logging.getLogger("textsweep.sweep")


def _job_metrics(result) -> dict:
    """The job's returned metrics; raises TextsweepError with the job's own error when it failed."""
    from hydra.core.utils import JobStatus

    if result.status == JobStatus.COMPLETED:
        return result.return_value or {}
    from textsweep.private_api import job_error

    error = job_error(result)
    raise TextsweepError(f"{getattr(error, 'reason', type(error).__name__)}: {str(error).splitlines()[0] if str(error) else ''}")


def baseline_of(study) -> dict | None:
    raw = study.user_attrs.get(VALUE_ATTR)
    return json.loads(raw) if raw else None


def train_baseline_once(study, fixed: list[str], objective: str, launch, context: list[str], tracker) -> None:
    """Train the bag-of-n-grams baseline on the sweep's data once per study, before its first trial.

    It runs with the sweep's fixed overrides (dataset, split, trainer) and none of the searched values.
    A failure stops the sweep in one line before any trial runs: the baseline exercises the same data path,
    so whatever broke it would fail every trial too."""
    found = baseline_of(study)
    if found is None:
        from textsweep.sweeping.objectives import metric_of

        log.info("training the linear baseline (bag of n-grams) once for study %s", study.study_name)
        [result] = launch([[*fixed, "baseline=true", *context]])
        try:
            metrics = _job_metrics(result)
        except TextsweepError as e:
            raise TextsweepError(f"the linear baseline failed before any trial ran ({e}): fix that, or sweep without "
                                 "it: hydra.sweeper.baseline=false") from None
        value = metrics.get(metric_of(objective))
        found = {"value": value, "test_accuracy": metrics.get("test_accuracy"), "run_id": metrics.get("run_id")}
        study.set_user_attr(VALUE_ATTR, json.dumps(found))
    if found.get("value") is not None and math.isfinite(found["value"]):
        tracker.client.log_metric(tracker.run_id, "baseline_value", found["value"])
        tracker.client.set_tag(tracker.run_id, "textsweep.baseline_run_id", str(found.get("run_id")))


def confirm_winner(study, fixed: list[str], top_k: int, seeds: int, config, objective: str, batch_size: int, launch,
                   context: list[str], tracker) -> None:
    """Re-train the top-k trials with more seeds (the split fixed), select by the mean, record it. The linear
    baseline, when the study has one, is re-trained with the same seeds, so the verdict compares two means of
    the same trainings (sweeping/verdict.py); it costs seconds."""
    from omegaconf import OmegaConf

    from textsweep.sweeping import confirm
    from textsweep.sweeping.objectives import metric_of
    from textsweep.sweeping.search_space import override_value

    found = confirm.candidates(study, top_k)
    if not found:
        return
    base_seed = int(OmegaConf.select(config, "seed", default=42))
    split_seed = OmegaConf.select(config, "dataset.split_seed", default=None)
    split_seed = base_seed if split_seed is None else int(split_seed)
    jobs = []
    for c in found:
        params = [f"{k}={override_value(v)}" for k, v in c.params.items()]
        for seed in confirm.confirmation_seeds(base_seed, seeds):
            jobs.append((c, [*fixed, *params, f"seed={seed}", f"dataset.split_seed={split_seed}",
                             f"optuna.confirm_of={c.number}", *context]))
    baseline = baseline_of(study)
    if baseline and baseline.get("value") is not None:  # its own run was the sweep's seed, as each trial's was
        base = confirm.Candidate(-1, {}, baseline.get("run_id"), [baseline["value"]],
                                 [baseline["test_accuracy"]] if baseline.get("test_accuracy") is not None else [])
        for seed in confirm.confirmation_seeds(base_seed, seeds):
            jobs.append((base, [*fixed, "baseline=true", f"seed={seed}", f"dataset.split_seed={split_seed}",
                                "optuna.confirm_of=-1", *context]))
    else:
        base = None
    log.info("confirming the top %d trial(s) with %d more seed(s) each (%d runs; the split stays fixed)",
             len(found), seeds - 1, len(jobs))
    for start in range(0, len(jobs), max(1, batch_size)):
        batch = jobs[start:start + max(1, batch_size)]
        for (candidate, _), result in zip(batch, launch([overrides for _, overrides in batch])):
            try:
                metrics = _job_metrics(result)
                candidate.values.append(float(metrics[metric_of(objective)]))
                if metrics.get("test_accuracy") is not None:
                    candidate.tests.append(float(metrics["test_accuracy"]))
            except (TextsweepError, KeyError, TypeError) as e:
                log.warning("a confirmation run of %s failed (%s): its mean uses the runs that finished",
                            "the baseline" if candidate is base else f"trial {candidate.number}", e)
    chosen = confirm.select(found, study.direction.name == "MAXIMIZE")
    confirm.record(study, tracker.client, tracker.run_id, found, chosen, objective, base, top_k)


def summary_lines(study, objective: str, trials_run: int, seconds: float, run_id: str | None = None,
                  experiment_id: str | None = None, top_k: int = 0, tracking_uri: str = "") -> list[str]:
    """The end of a sweep, as a person wants it: the selection against the baseline (the verdict, the same
    lines `sweep status` and `compare` print), where to look next."""
    from textsweep.sweeping import confirm, verdict

    from textsweep.sweeping.pareto import front_lines, is_multi_objective
    from textsweep.sweeping.study import trial_counts

    trials = study.get_trials(deepcopy=False)
    states = trial_counts(study)
    lines = [f"study {study.study_name}: {trials_run} trial(s) run now in {seconds / 60:.1f} min; {len(trials)} in all "
             f"({states['COMPLETE']} complete, {states['PRUNED']} pruned, {states['FAIL']} failed)"]
    if is_multi_objective(study):
        return lines + front_lines(study) + [
            f"next: textsweep sweep status {study.study_name}   |   textsweep promote {study.study_name} --name <model> "
            "--within 0.005  (the fastest model within 0.005 of the best accuracy)"]
    found = verdict.of_study(study, objective, top_k)
    if found is None:
        return lines + ["no trial has completed yet"]
    confirmed = confirm.recorded(study)
    if confirmed:
        chosen = next(c for c in confirmed["candidates"] if c["trial"] == confirmed["selected"])
        others = ", ".join(f"#{c['trial']} {c['mean']:.4f} ± {c['std']:.4f}" for c in confirmed["candidates"])
        lines.append(f"confirmed over {chosen['n']} seeds each (initialisation and shuffling; the split is fixed): "
                     f"{others}; selected #{chosen['trial']}")
    lines += verdict.lines(found)
    selected = next(t for t in trials if t.number == found.trial)
    lines.append("its values: " + " ".join(f"{k}={_short(v)}" for k, v in selected.params.items()))
    if run_id:
        from textsweep.tracking.links import run_page

        lines.append(f"MLflow parent run {run_id}: {run_page(tracking_uri, experiment_id, run_id)}")
    lines.append(f"next: textsweep sweep status {study.study_name}   |   textsweep promote {study.study_name} --name <model>")
    return lines


def _short(value) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def print_summary(study, objective: str, tracker, trials_run: int, seconds: float, top_k: int = 0) -> None:
    lines = summary_lines(study, objective, trials_run, seconds, tracker.run_id, tracker.experiment_id, top_k,
                          tracker.client.tracking_uri)
    print("\n".join(f"textsweep: {line}" for line in lines), flush=True)


def check_space(space, config, loader) -> None:
    """A search space that cannot work fails in one line before any trial runs: a model knob whose bounds or
    choices lie outside what the knob accepts (an unknown cell, a rate of 1.5), and a knob that none of the
    presets the sweep can choose uses. (Within a sweep over presets, a knob that only some presets use is
    fine: the trials of the others log it as not applicable.)"""
    from optuna.distributions import CategoricalDistribution
    from textsweep.errors import ConfigError
    from textsweep.config.validate import KNOBS, check_knob

    check_group_choices(space, loader)
    knobs = {key[len("model."):]: dist for key, dist in space.distributions.items()
             if key.startswith("model.") and key[len("model."):] in KNOBS}
    for knob, dist in knobs.items():
        for value in (dist.choices if isinstance(dist, CategoricalDistribution) else (dist.low, dist.high)):
            try:
                check_knob(knob, value)
            except ConfigError as e:
                raise ConfigError(f"hydra.sweeper.params.model.{knob}: {e}") from None
    if not knobs:
        return
    model_dist = space.distributions.get("model")
    presets = list(model_dist.choices) if model_dist is not None else [None]
    used = set()
    for preset in presets:
        overrides = [*space.fixed] + ([f"model={preset}"] if preset is not None else [])
        cfg = loader.load_sweep_config(config, overrides)
        raw = _raw_blocks(cfg)
        used |= {k for k in knobs if f"${{model.{k}}}" in raw}
    for knob in knobs:
        if knob not in used:
            names = ", ".join(str(p) for p in presets if p is not None) or "the composed preset"
            raise ConfigError(f"hydra.sweeper.params.model.{knob}: no preset this sweep can choose ({names}) uses it: "
                              f"drop it, or choose a preset whose blocks reference ${{model.{knob}}}")


def check_group_choices(space, loader) -> None:
    """A choice among config group options (model=choice(lstm,cnn_lstm)) names options that exist."""
    from optuna.distributions import CategoricalDistribution
    from textsweep.errors import ConfigError

    for key, dist in space.distributions.items():
        if not isinstance(dist, CategoricalDistribution):
            continue
        options = group_options(loader, key)
        missing = [str(c) for c in dist.choices if options and str(c) not in options]
        if missing:
            raise ConfigError(f"hydra.sweeper.params.{key}: {', '.join(missing)} is not an option of the {key} group: "
                              f"choose among {', '.join(options)}")


def group_options(loader, key: str) -> list[str]:
    """The options of config group `key` (model -> lstm, cnn_lstm, ...); [] when `key` is not a group."""
    try:
        return loader.get_group_options(key)
    except Exception:  # not a group path Hydra can list
        return []


def _raw_blocks(cfg) -> str:
    from omegaconf import OmegaConf

    return str(OmegaConf.to_container(cfg.model.blocks, resolve=False))


SETTINGS_ATTR = "textsweep.settings"
# what shapes a trial's result: the data, the model, the training; not how loudly it trains or where it logs
SETTING_SECTIONS = ("dataset", "embedding", "model", "trainer", "seed", "baseline")
NOT_SETTINGS = ("trainer.verbose",)


def study_settings(config, space) -> dict[str, str]:
    """The settings every trial of this invocation shares (fixed values, resolved) and the search space."""
    from omegaconf import OmegaConf
    from textsweep.tracking.runs import flatten

    try:
        container = OmegaConf.to_container(config, resolve=True)
    except Exception:  # an interpolation only a job can resolve: compare the unresolved text
        container = OmegaConf.to_container(config, resolve=False)
    shared = {k: container[k] for k in SETTING_SECTIONS if k in container}
    searched = set(space.distributions)
    settings = {k: v for k, v in flatten(shared).items()
                if k not in NOT_SETTINGS and not any(k == s or k.startswith(s + ".") for s in searched)}
    settings.update({f"search {key}": repr(dist) for key, dist in space.distributions.items()})
    return settings


def warn_if_settings_changed(study, config, space) -> None:
    """An ad-hoc sweep joins the study named after its experiment: if that study was started with other
    settings (1-epoch trials into a 10-epoch study, another CSV, another space), say so in one line. A
    warning, not a refusal: a scheduled job that changed on purpose goes on."""
    import json
    import sys

    now = study_settings(config, space)
    before = study.user_attrs.get(SETTINGS_ATTR)
    if before is None:
        study.set_user_attr(SETTINGS_ATTR, json.dumps(now))
        return
    before = json.loads(before)
    changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
    if not changed:
        return
    shown = "; ".join(f"{k}: {before.get(k, '(unset)')} then, {now.get(k, '(unset)')} now" for k in changed[:3])
    more = f" and {len(changed) - 3} more" if len(changed) > 3 else ""
    print(f"textsweep: warning: study {study.study_name!r} was started with other settings ({shown}{more}): its "
          f"earlier trials do not compare with these; pass hydra.sweeper.study_name=<new name> for a new study",
          file=sys.stderr, flush=True)

