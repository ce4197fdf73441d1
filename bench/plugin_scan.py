"""What textsweep's Hydra plugin costs every Hydra app in the environment: the extra time of Hydra's plugin scan.

    python bench/plugin_scan.py [--rounds 15] [--json FILE]

Hydra imports every module under `hydra_plugins` when it starts (single runs included). Each round starts two
fresh interpreters that do only that scan (`Plugins.instance()`), one with textsweep's plugin and one
without it (the scan's package walk skips textsweep_optuna_sweeper), in alternating order so that load on the
machine hits both alike. Reported: the median scan time of each, the extra seconds and their ratio, and the
import time Hydra's own scan statistics give textsweep's modules. Goal: at most 0.05 s extra.
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, pkgutil, sys, time
without = sys.argv[1] == "without"
if without:  # the scan walks hydra_plugins' folders; drop textsweep's package from the walk, nothing else
    walk = pkgutil.walk_packages
    pkgutil.walk_packages = lambda *a, **k: (m for m in walk(*a, **k) if "textsweep_optuna_sweeper" not in m[1])
started = time.perf_counter()
from hydra.core.plugins import Plugins
plugins = Plugins.instance()
took = time.perf_counter() - started
ours = {k: v for k, v in plugins.get_stats().modules_import_time.items() if "textsweep" in k}
print(json.dumps({"seconds": took, "ours": ours, "textsweep_loaded": sorted(m for m in sys.modules if m.startswith("textsweep"))}))
"""


def scan(variant: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, variant], capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    with_plugin, without, ours, loaded = [], [], [], set()
    for i in range(args.rounds):
        for variant in (("with", "without") if i % 2 == 0 else ("without", "with")):
            found = scan(variant)
            if variant == "with":
                with_plugin.append(found["seconds"])
                ours.append(sum(found["ours"].values()))
                loaded.update(found["textsweep_loaded"])
            else:
                without.append(found["seconds"])
    a, b = statistics.median(with_plugin), statistics.median(without)
    print(f"Hydra plugin scan, median of {args.rounds} fresh interpreters each:")
    print(f"  without textsweep's plugin  {b:.4f} s")
    print(f"  with textsweep's plugin     {a:.4f} s   (ratio {a / b:.3f}, extra {a - b:+.4f} s; goal <= 0.05 s)")
    print(f"  textsweep's modules' import time in Hydra's scan statistics: median {statistics.median(ours):.4f} s")
    print(f"  textsweep modules the scan loaded: {', '.join(sorted(loaded)) or 'none'}")
    if args.json:
        args.json.write_text(json.dumps({"rounds": args.rounds, "with_s": a, "without_s": b, "ratio": a / b,
                                         "extra_s": a - b, "plugin_import_s": statistics.median(ours),
                                         "textsweep_modules_loaded": sorted(loaded)}, indent=2))


if __name__ == "__main__":
    main()
