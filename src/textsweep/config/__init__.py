"""Configuration: where configs live, the typed schema, composing, value checks, and keeping secrets out of output.

Imports nothing of TensorFlow, MLflow or Optuna: a config error answers before any of them loads.
"""
