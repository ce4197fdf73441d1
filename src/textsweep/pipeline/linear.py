"""The linear model's fit: logistic regression over the bag's TF-IDF vectors by scikit-learn's solver, with the
L2 strength C chosen on the validation split, as one chooses LogisticRegression's C.

Why not Keras: Adam with early stopping on a linear model stops short of the regularised optimum, with no
regularisation strength to choose (1 to 3 points below scikit-learn on short texts, issue 25). lbfgs finds the
optimum for each C; the C with the best validation accuracy is kept (ties: the smaller C, the stronger
regularisation). Its coefficients are then loaded into Keras layers (the bag's kernel holds coef.T, the
output layer is the identity plus the intercept), so a logged model computes scikit-learn's probabilities
from raw text and loads like any run's, with safe_mode; nothing of scikit-learn is saved or pickled.

Two users: the baseline run (`fit_linear`: each C tried is one step of the run's curves, through the same
callbacks as a Keras epoch; `best_epoch` is the chosen C's step and `linear_C` its value), and a network's
blend with the linear model (pipeline/blend.py), which takes `choose_logistic`'s result as it is.
"""

import time
from dataclasses import dataclass

import numpy as np

from textsweep.pipeline.fit import Fitted
from textsweep.pipeline.ngrams import count_matrix, tfidf_matrix

C_GRID = tuple(2.0 ** k for k in range(-2, 8))  # 0.25 ... 128, ascending: a warm start follows the path
MAX_ITER = 5000


@dataclass
class LogisticFit:
    C: float
    coef: np.ndarray  # (classes or 1, features), scikit-learn's coef_
    intercept: np.ndarray
    history: dict  # per C tried: loss, accuracy, val_loss, val_accuracy
    step: int  # the chosen C's index in the history
    p_val: np.ndarray  # the chosen C's validation probabilities (texts, classes)


def bag_features(bag, full: np.ndarray):
    """The bag layer's own feature vectors for whole-text ids, as a sparse matrix."""
    idf = np.asarray(bag.idf.numpy(), dtype=np.float64) if bag.weighting == "tfidf" else None
    return tfidf_matrix(count_matrix(full, bag.vocab_size, bag.known_codes()), idf, bag.weighting, bag.sublinear_tf)


def choose_logistic(x_train, y_train, x_val, y_val, num_classes: int, c: float | None = None,
                    on_step=None) -> LogisticFit:
    """Logistic regression for each C of the grid (or the one `c`), the best by validation accuracy kept.
    on_step(step, logs) after each C; it returns True to stop early (a pruner)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    labels = np.arange(num_classes)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    solver = LogisticRegression(max_iter=MAX_ITER, warm_start=True)
    best = None
    for step, value in enumerate([c] if c is not None else C_GRID):
        solver.set_params(C=value).fit(x_train, y_train)
        p_train, p_val = solver.predict_proba(x_train), solver.predict_proba(x_val)
        logs = {"loss": log_loss(y_train, p_train, labels=labels), "accuracy": solver.score(x_train, y_train),
                "val_loss": log_loss(y_val, p_val, labels=labels), "val_accuracy": solver.score(x_val, y_val)}
        for key, metric in logs.items():
            history[key].append(float(metric))
        if best is None or logs["val_accuracy"] > history["val_accuracy"][best.step]:
            best = LogisticFit(float(value), solver.coef_.copy(), solver.intercept_.copy(), history, step, p_val)
        if on_step is not None and on_step(step, logs):
            break
    return best


def load_into(bag, output, found: LogisticFit) -> None:
    """The fitted coefficients into Keras layers: the bag's kernel and an identity output layer with the intercept."""
    bag.kernel.assign(found.coef.T.astype("float32"))
    output.set_weights([np.eye(found.coef.shape[0], dtype="float32"), found.intercept.astype("float32")])


def fit_linear(model, data, c: float | None, callbacks: list) -> Fitted:
    """Fit the n-gram bag + output layer of `model` as one logistic regression; c=None chooses C on validation."""
    started = time.perf_counter()
    bag, output = model.get_layer("ngram_bag"), model.get_layer("output")
    model.stop_training = False
    for callback in callbacks:
        callback.set_model(model)

    def on_step(step, logs):
        for callback in callbacks:
            callback.on_epoch_end(step, logs)
        return bool(getattr(model, "stop_training", False))  # a pruner stopped the run (a sweep over the linear preset)

    found = choose_logistic(bag_features(bag, data.full_train), data.y_train, bag_features(bag, data.full_val), data.y_val,
                            data.num_classes, c, on_step)
    for callback in callbacks:
        callback.on_train_end()
    load_into(bag, output, found)
    return Fitted(found.history, time.perf_counter() - started, len(found.history["loss"]), found.step,
                  {"linear_C": found.C})
