"""The exceptions textsweep shows to users: one line that says what is wrong, where, and how to fix it."""


class TextsweepError(Exception):
    """A user-facing error. The CLI prints its message as one line and exits non-zero."""

    exit_code = 2

    def __init__(self, message: str = "", *args):
        from textsweep.masking import mask_secrets

        super().__init__(mask_secrets(str(message)), *args)  # a store URL in a message never shows its password


class ConfigError(TextsweepError):
    """A config value is wrong (type, range, unknown name, unused knob)."""


class DataError(TextsweepError):
    """A dataset or embedding file is missing, malformed, or unusable (empty, one class, bad encoding)."""


class TrackingError(TextsweepError):
    """The MLflow tracking store cannot be reached or written."""


class TrainingFailed(TextsweepError):
    """Training stopped for a reason worth a tag, e.g. `nan_loss`."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason


class Interrupted(KeyboardInterrupt):
    """SIGTERM (a scheduler stopping the job) or SIGINT: the run ends KILLED, never FINISHED."""
