"""The run's stages, data -> embedding -> model -> fit -> evaluate, and what they compute (explanations).

Each stage takes its own config node and returns values; none imports MLflow or Optuna. Tracking and the
Optuna trial attach from outside, as Keras callbacks and hooks (textsweep.train wires them).
"""
