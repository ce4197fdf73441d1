"""study.ask's cost against the study's size, with the sweeper's own sampler, on a real storage.

    python bench/scale_ask.py --storage URL [--sizes 100,500,1000,2000] [--asks 30] [--json ask.json]

For each size N it fills a study of N finished trials (bench/scale_store.py's shapes: about 2 in 3 pruned, with
their intermediate values) through Optuna's API, then times `--asks` calls of `study.ask` as the sweeper makes
them: textsweep's TPE settings (hydra/sweeper/sampler=tpe: n_startup_trials 10, n_ei_candidates 24,
constant_liar, a per-trial seed), the bench's three-parameter space, each asked trial told PRUNED at once so
that the study stays at N. What it times is what the sweeper records on each trial as `textsweep.ask_s`
(bench/scale.py's per-trial figures): reading the study's history from the storage and the sampler's work on it.
The studies are named ask-probe-N; an existing one of the right size is reused.
"""

import argparse
import functools
import json
import sys
import time
from pathlib import Path

from scale_store import distributions, fill_study, trial_shapes


def sweeper_sampler():
    """TPE as hydra/sweeper/sampler=tpe builds it (the plugin's defaults), through textsweep's make_sampler."""
    import optuna

    from textsweep.sweeping.study import make_sampler

    return make_sampler(functools.partial(optuna.samplers.TPESampler, n_startup_trials=10, n_ei_candidates=24,
                                          constant_liar=True, seed=0), 0)


def probe(storage: str, size: int, asks: int) -> dict:
    import optuna
    from optuna.trial import TrialState

    name = f"ask-probe-{size}"
    try:
        have = len(optuna.load_study(study_name=name, storage=storage).get_trials(deepcopy=False))
    except KeyError:
        have = 0
    if have < size:
        fill_study(storage, trial_shapes(size, 4)[have:], [f"probe-{n}" for n in range(have, size)], study_name=name)
    study = optuna.load_study(study_name=name, storage=storage, sampler=sweeper_sampler())
    space, seconds = distributions(), []
    for _ in range(asks):
        began = time.perf_counter()
        trial = study.ask(space)
        seconds.append(time.perf_counter() - began)
        study.tell(trial, state=TrialState.PRUNED)
    seconds.sort()
    return {"trials": size, "asks": asks, "p50_s": round(seconds[len(seconds) // 2], 4),
            "p95_s": round(seconds[min(len(seconds) - 1, int(0.95 * len(seconds)))], 4)}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--storage", required=True, help="an Optuna storage URL (PostgreSQL, as the workers use)")
    p.add_argument("--sizes", default="100,500,1000,2000")
    p.add_argument("--asks", type=int, default=30)
    p.add_argument("--json")
    args = p.parse_args()
    import os

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    load = round(os.getloadavg()[0], 1)
    results = [probe(args.storage, int(n), args.asks) for n in args.sizes.split(",")]
    summary = {"date": time.strftime("%Y-%m-%d %H:%M"), "load_average": [load, round(os.getloadavg()[0], 1)],
               "ask": results}
    text = json.dumps(summary, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
