"""The exceptions textsweep shows to users: one line that says what is wrong, where, and how to fix it.

They are raised where the problem is found and printed by one owner, `textsweep.cli.main`, as
`textsweep: error: ...`. The exit code says what kind of problem it was (README, "Errors and exit codes"):
0 ok, 1 a run or every trial failed, 2 a usage or configuration error, 130 interrupted.
"""

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


class TextsweepError(Exception):
    """A user-facing error. The CLI prints its message as one line and exits non-zero."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str = "", *args):
        from textsweep.config.masking import mask_secrets

        super().__init__(mask_secrets(str(message)), *args)  # a store URL in a message never shows its password


class ConfigError(TextsweepError):
    """A config value is wrong (type, range, unknown name, unused knob)."""


class DataError(TextsweepError):
    """A dataset or embedding file is missing, malformed, or unusable (empty, one class, bad encoding)."""


class TrackingError(TextsweepError):
    """The MLflow tracking store cannot be reached or written."""


class NotFound(TextsweepError):
    """A read-only command found no store, experiment or study where it looked (the message names the path)."""


class RunFailed(TextsweepError):
    """The work itself failed (a run, or every trial of a sweep): not a usage error."""

    exit_code = EXIT_FAILED


class TrainingFailed(RunFailed):
    """Training stopped for a reason worth a tag, e.g. `nan_loss`."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class Escalated(BaseException):
    """Carries a TextsweepError past code that swallows Exceptions (Hydra's callbacks turn them into warnings)
    up to the CLI, which prints it like any other."""

    def __init__(self, error: TextsweepError):
        super().__init__(str(error))
        self.error = error


class Interrupted(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job) or SIGINT: the run ends KILLED, never FINISHED. `reason` is the run's
    failure reason: `interrupted`, or `process_lost` for a launcher's job whose sweep process died."""

    def __init__(self, message: str = "", reason: str = "interrupted"):
        super().__init__(message)
        self.reason = reason


class SweepFailed(RunFailed):
    """A sweep's trials failed: all of them, the first few with the same error, or more than max_failure_rate."""
