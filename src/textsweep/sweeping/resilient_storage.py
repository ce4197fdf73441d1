"""Optuna's RDBStorage riding out a database server that restarts or fails over (PostgreSQL, MySQL).

A restart cuts every open connection and refuses new ones for a few seconds. SQLAlchemy's pool_pre_ping only
checks a connection when it is taken from the pool: a query under way at the cut, or any call during the
window, raises, and one such call in the sweeper's loop ended the worker (measured: bench/scale.py --fault
db-restart, 2 of 4 workers lost in Optuna's own fallback path, PendingRollbackError). Here each storage call
that fails on the connection is made again after a pause (0.5 s, then doubling, about 60 s in all), on a fresh
connection; errors of any other kind are raised at once.

A write whose commit reached the server but whose answer was lost is made twice: harmless for the upserts
(params, intermediate values, attributes, heartbeats); a trial's final state written twice finds the trial
finished and counts as written; a trial created twice leaves one more RUNNING trial that no job runs (shown
by `sweep status`). That needs the connection cut between the commit and its answer: rare, and not seen.
SQLite is not wrapped: its "database is locked" has its own
timeout.
"""

import functools
import logging
import threading
import time

from optuna.exceptions import UpdateFinishedTrialError
from optuna.storages import RDBStorage

log = logging.getLogger("textsweep.sweep")

PAUSES = (0.5, 1, 2, 4, 8, 15, 30)  # seconds between tries: about 60 s, a restart's or a failover's length
RETRIED = ("create_new_study", "set_study_user_attr", "set_study_system_attr", "get_study_id_from_name",
           "get_study_name_from_id", "get_study_directions", "get_study_user_attrs", "get_study_system_attrs",
           "get_all_studies", "create_new_trial", "set_trial_param", "get_trial_id_from_study_id_trial_number",
           "get_trial_number_from_id", "get_trial_param", "set_trial_state_values", "set_trial_intermediate_value",
           "set_trial_user_attr", "set_trial_system_attr", "get_trial", "get_all_trials", "_get_trials", "get_n_trials",
           "get_best_trial", "record_heartbeat", "_get_stale_trial_ids")
_inside = threading.local()  # a retried call inside another (get_all_trials -> _get_trials) leaves it to the outer one


def lost_connection(error: BaseException) -> BaseException | None:
    """The database connection's failure behind `error` (Optuna wraps it in StorageInternalError), or None when the
    error is of another kind (a query's, a value's)."""
    import sqlalchemy.exc

    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        if isinstance(error, (sqlalchemy.exc.OperationalError, sqlalchemy.exc.PendingRollbackError)):
            return error
        if isinstance(error, sqlalchemy.exc.DBAPIError) and error.connection_invalidated:
            return error
        error = error.__cause__ or error.__context__
    return None


def _retrying(name: str):
    method = getattr(RDBStorage, name)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        if getattr(_inside, "active", False):
            return method(self, *args, **kwargs)
        _inside.active = True
        try:
            for attempt, pause in enumerate((*PAUSES, None)):
                try:
                    return method(self, *args, **kwargs)
                except UpdateFinishedTrialError:
                    if attempt and name == "set_trial_state_values":
                        return True  # the try whose answer was lost had written it
                    raise
                except Exception as e:
                    cause = lost_connection(e)
                    if pause is None or cause is None:
                        raise
                    log.warning("the Optuna storage lost its connection (%s): trying %s again in %s s",
                                (str(cause).strip().splitlines() or [type(cause).__name__])[0][:160], name, pause)
                    time.sleep(pause)
        finally:
            _inside.active = False

    return call


class ResilientRDBStorage(RDBStorage):
    """RDBStorage whose calls are made again when the database connection fails (see the module's text)."""


for _name in RETRIED:
    setattr(ResilientRDBStorage, _name, _retrying(_name))
