"""The linear baseline's fit: logistic regression over the bag's TF-IDF vectors by scikit-learn's solver, with the
L2 strength C chosen on the validation split, as one chooses LogisticRegression's C.

Why not Keras: Adam with early stopping on a linear model stops short of the regularised optimum, with no
regularisation strength to choose (1 to 3 points below scikit-learn on short texts, issue 25). lbfgs finds the
optimum for each C; the C with the best validation accuracy is kept (ties: the smaller C, the stronger
regularisation). Its coefficients are then loaded into the Keras model (the bag's kernel holds coef.T, the
output layer is the identity plus the intercept), so the logged model computes scikit-learn's probabilities
from raw text and loads like any run's, with safe_mode; nothing of scikit-learn is saved or pickled.

Each C tried is one step of the run's curves (loss, accuracy, val_loss, val_accuracy), through the same
callbacks as a Keras epoch; `best_epoch` is the chosen C's step and `linear_C` its value.
"""

import time

import numpy as np

from textsweep.pipeline.fit import Fitted
from textsweep.pipeline.ngrams import count_matrix, tfidf_matrix

C_GRID = tuple(2.0 ** k for k in range(-2, 8))  # 0.25 ... 128, ascending: a warm start follows the path
MAX_ITER = 5000


def bag_features(bag, full: np.ndarray):
    """The bag layer's own feature vectors for whole-text ids, as a sparse matrix."""
    idf = np.asarray(bag.idf.numpy(), dtype=np.float64) if bag.weighting == "tfidf" else None
    return tfidf_matrix(count_matrix(full, bag.vocab_size, bag.known_codes()), idf, bag.weighting, bag.sublinear_tf)


def fit_linear(model, data, c: float | None, callbacks: list) -> Fitted:
    """Fit the n-gram bag + output layer of `model` as one logistic regression; c=None chooses C on validation."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    started = time.perf_counter()
    bag, output = model.get_layer("ngram_bag"), model.get_layer("output")
    x_train, x_val = bag_features(bag, data.full_train), bag_features(bag, data.full_val)
    labels = np.arange(data.num_classes)
    model.stop_training = False
    for callback in callbacks:
        callback.set_model(model)
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    solver = LogisticRegression(max_iter=MAX_ITER, warm_start=True)
    best = None
    for step, value in enumerate([c] if c is not None else C_GRID):
        solver.set_params(C=value).fit(x_train, data.y_train)
        p_train, p_val = solver.predict_proba(x_train), solver.predict_proba(x_val)
        logs = {"loss": log_loss(data.y_train, p_train, labels=labels), "accuracy": solver.score(x_train, data.y_train),
                "val_loss": log_loss(data.y_val, p_val, labels=labels), "val_accuracy": solver.score(x_val, data.y_val)}
        for key, metric in logs.items():
            history[key].append(float(metric))
        for callback in callbacks:
            callback.on_epoch_end(step, logs)
        if best is None or logs["val_accuracy"] > history["val_accuracy"][best[0]]:
            best = (step, value, solver.coef_.copy(), solver.intercept_.copy())
        if getattr(model, "stop_training", False):  # a pruner stopped the run (a sweep over the linear preset)
            break
    for callback in callbacks:
        callback.on_train_end()
    step, value, coef, intercept = best
    bag.kernel.assign(coef.T.astype("float32"))
    output.set_weights([np.eye(coef.shape[0], dtype="float32"), intercept.astype("float32")])
    return Fitted(history, time.perf_counter() - started, len(history["loss"]), step, {"linear_C": float(value)})
