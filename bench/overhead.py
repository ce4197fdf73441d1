"""Framework overhead: `textsweep train` vs the tutorial's plain Keras script on the same arrays.

    python bench/overhead.py [--epochs 1] [--rounds 2] [--train N] [--json out.json]

IMDB-shaped data (see imdb_shaped.py), the tutorial's model (Embedding(5000, 32) -> LSTM(100) ->
Dense(1, sigmoid), adam, batch 64), the same train/validation arrays for both. Rounds alternate plain
and textsweep in one process, so machine noise hits both. Reports training samples/s (fit time, with the
per-epoch validation both do) and the ratio textsweep / plain: by means, and as the median of the rounds'
ratios (each round's two runs are back to back; which goes first alternates). Goal >= 0.97.
"""

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--train", type=int, default=25000, help="reviews in the training file (IMDB: 25,000)")
    p.add_argument("--json")
    args = p.parse_args()
    from imdb_shaped import imdb_overrides, tutorial_fit, write_imdb_npz
    from textsweep.config.compose import compose_config
    from textsweep.pipeline.data import load_dataset
    from textsweep.train import run_training

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        npz = home / "imdb.npz"
        sha = write_imdb_npz(npz, n_train=args.train)
        overrides = [f"home={home}", *imdb_overrides(npz, sha), f"trainer.epochs={args.epochs}", "tracking.log_model=false"]
        cfg = compose_config(overrides)
        data = load_dataset(cfg.dataset, cfg.trainer, cfg.seed, home / "mlruns" / "cache" / "datasets")
        n = len(data.y_train) * args.epochs

        def plain() -> float:
            return n / tutorial_fit(data, args.epochs)[0]

        def textsweep() -> float:
            return n / run_training(compose_config(overrides))["train_time_s"]

        results = {"plain": [], "textsweep": []}
        for r in range(args.rounds):
            # ABBA: which runner goes first alternates, so a drift within a round favours neither
            for name in (("plain", "textsweep") if r % 2 == 0 else ("textsweep", "plain")):
                results[name].append(plain() if name == "plain" else textsweep())
    plain_sps, ts_sps = statistics.mean(results["plain"]), statistics.mean(results["textsweep"])
    out = {"train_samples": len(data.y_train), "epochs": args.epochs, "rounds": args.rounds,
           "plain_samples_per_s": [round(x, 1) for x in results["plain"]],
           "textsweep_samples_per_s": [round(x, 1) for x in results["textsweep"]], "ratio": round(ts_sps / plain_sps, 3),
           # each round's pair ran back to back: its ratio sees the same machine speed (which drifts over minutes)
           "ratio_median_of_rounds": round(statistics.median(t / p for p, t in zip(results["plain"], results["textsweep"])), 3)}
    print("| runner | samples/s (each round) | mean |\n|---|---|---|")
    print(f"| plain Keras (tutorial script) | {', '.join(f'{x:.0f}' for x in results['plain'])} | {plain_sps:.0f} |")
    print(f"| textsweep train | {', '.join(f'{x:.0f}' for x in results['textsweep'])} | {ts_sps:.0f} |")
    print(f"\nratio textsweep / plain: {out['ratio']:.3f} by means, {out['ratio_median_of_rounds']:.3f} as the median of the "
          "rounds' ratios (goal >= 0.97)")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
