"""textsweep: experiment-tracking hyperparameter sweeps for Keras text classifiers.

Importing the package is cheap (no TensorFlow, MLflow or Optuna): heavy modules import them where used,
so `textsweep --help` and config errors answer fast. Importing it changes nothing either (no environment
variable, no import hook): Hydra's plugin scan imports textsweep's sweeper plugin in every Hydra app, and
textsweep's own commands quiet TensorFlow themselves (`quiet.for_textsweep_commands`).
"""

__version__ = "0.1.0"
