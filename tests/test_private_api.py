"""The private APIs textsweep still needs (textsweep.private_api), each called against the installed Optuna,
Hydra and MLflow: an upgrade that moves one fails here, by name, before it fails a user's sweep."""

import optuna
from hydra.core.utils import JobReturn, JobStatus

from textsweep import private_api


def test_optuna_internals_reach_the_storage_and_reopen_a_trial_by_number(tmp_path):
    study = optuna.create_study(study_name="p", storage=f"sqlite:///{tmp_path / 'o.db'}")
    first, second = study.ask(), study.ask()
    assert private_api.storage_of(study) is study._storage
    assert private_api.trial_id_of(study, second.number) == private_api.trial_id(second) != private_api.trial_id(first)
    reopened = private_api.reopen_trial(optuna.load_study(study_name="p", storage=f"sqlite:///{tmp_path / 'o.db'}"), 1)
    reopened.report(0.5, step=0)  # what a job does with the trial the sweeper asked for
    private_api.set_trial_user_attr(study, second.number, "fail_reason", "nan_loss")
    study.tell(second, state=optuna.trial.TrialState.FAIL)
    frozen = study.trials[1]
    assert frozen.intermediate_values == {0: 0.5} and frozen.user_attrs["fail_reason"] == "nan_loss"
    assert private_api.trial_id(frozen) == private_api.trial_id(second)


def test_a_failed_hydra_jobs_exception_is_read_without_raising():
    error = ValueError("boom")
    result = JobReturn(status=JobStatus.FAILED, _return_value=error)
    assert private_api.job_error(result) is error
    ok = JobReturn(status=JobStatus.COMPLETED, _return_value={"v": 1})
    assert ok.return_value == {"v": 1} and private_api.job_error(ok) == {"v": 1}


def test_mlflow_source_tags_name_the_user_and_the_entry_point():
    tags = private_api.mlflow_source_tags()
    assert "mlflow.user" in tags and "mlflow.source.name" in tags and all(v is not None for v in tags.values())
