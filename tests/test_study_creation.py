"""Workers that start a new study together: exactly one of them creates it, so the study's one-time steps (the
enqueued first trial) happen once. Real processes on one real storage."""

import json
import subprocess
import sys

import optuna

CREATE = """
import json, sys
from textsweep.sweeping.study import create_or_load, open_storage
storage = open_storage(sys.argv[1], None)
study, created = create_or_load("together", storage, ["maximize"], None)
if created:
    study.enqueue_trial({"x": 0.5})
print(json.dumps(created))
"""


def test_of_four_workers_starting_a_new_study_together_one_creates_it_and_one_trial_is_enqueued(tmp_path):
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    workers = [subprocess.Popen([sys.executable, "-c", CREATE, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for _ in range(4)]
    outputs = [w.communicate(timeout=120) for w in workers]
    assert all(w.returncode == 0 for w in workers), [err[-2000:] for _, err in outputs]
    assert sorted(json.loads(out) for out, _ in outputs) == [False, False, False, True]
    assert len(optuna.load_study(study_name="together", storage=url).trials) == 1
