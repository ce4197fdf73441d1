"""A network blended with the linear model (model.linear_blend): the model a run logs outputs
w * p_linear + (1 - w) * p_network, with w chosen on the validation split.

Why: a network trained on a few thousand texts, or on the first `dataset.maxlen` words of long ones, often
trails a TF-IDF logistic regression, and on most text the two make different mistakes, so their average
beats either (classic stacking; AutoML tools blend their candidates the same way). With w = 1 the blend is the
linear baseline itself, so a blended trial's validation accuracy is never below the baseline's; w is what the
data says each part is worth.

- The linear part is the baseline's own fit (pipeline/linear.py: TF-IDF uni+bigrams of the whole text, C chosen
  on validation), done once per data split and process and reused by every trial that shares them.
- Each epoch, `BlendOnValidation` predicts the validation split with the network, chooses w on a grid of 21 by
  the blend's accuracy (the sweep's own measure; equal accuracies go to the lower log loss), and rewrites the epoch's `val_loss` / `val_accuracy` with the blend's, keeping the
  network's own as `network_val_loss` / `network_val_accuracy` and w as `linear_weight`. It runs before early
  stopping and the pruner, so both judge the model that will be logged, by the objective the sweep selects on.
- After fit, `blended` joins the trained network and the linear layers (frozen) with the restored epoch's w
  into one Keras model with the inputs `token_ids` and `full_ids`: it reads raw text through the same
  vectorisers, and loads with safe_mode (registered layers only).
"""

import hashlib

import keras
import numpy as np
from keras import layers

WEIGHTS = np.linspace(0.0, 1.0, 21)


@keras.saving.register_keras_serializable(package="textsweep")
class Blend(keras.layers.Layer):
    """[p_linear, p_network] -> w * p_linear + (1 - w) * p_network; w is a (non-trainable) weight of the model."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.linear_weight = self.add_weight(shape=(), initializer="zeros", trainable=False, name="linear_weight")

    def call(self, inputs):
        linear, network = inputs
        return self.linear_weight * linear + (1.0 - self.linear_weight) * network

    def compute_output_shape(self, input_shape):
        return input_shape[1]


def as_columns(outputs: np.ndarray) -> np.ndarray:
    """Class probabilities (n, classes) from a model's outputs: one sigmoid column becomes [1 - p, p]."""
    p = np.asarray(outputs, dtype=np.float64)
    return np.concatenate([1.0 - p, p], axis=1) if p.shape[1] == 1 else p


def choose_weight(p_linear: np.ndarray, p_network: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(w, log loss, accuracy) of the blend with the best accuracy on (p, y); among equal accuracies the lowest log
    loss, then the smaller w (more network)."""
    y = np.asarray(y, dtype=np.int64).ravel()
    rows = np.arange(len(y))
    best = None
    for w in WEIGHTS:
        p = w * p_linear + (1.0 - w) * p_network
        accuracy = float(np.mean(np.argmax(p, axis=1) == y))
        loss = float(-np.mean(np.log(np.clip(p[rows, y], 1e-7, 1.0))))
        if best is None or (accuracy, -loss) > (best[2], -best[1]):
            best = (float(w), loss, accuracy)
    return best


class LinearPart:
    """The linear model of one data split: the bag's vocabulary and idf, the fitted coefficients, and its
    validation probabilities."""

    def __init__(self, data):
        from textsweep.pipeline.linear import bag_features, choose_logistic
        from textsweep.pipeline.ngrams import NgramVector

        # the baseline's own bag (vocabulary, idf as the layer's float32 weights) and solver: with w = 1 the blend
        # is the baseline run to the last digit; only the arrays are kept, not the layer
        bag = NgramVector.fitted(data.full_train, data.full_vectorizer.size, units=1)
        self.vocab_size, self.known, self.idf = bag.vocab_size, bag.known_codes(), np.asarray(bag.idf.numpy())
        self.fit = choose_logistic(bag_features(bag, data.full_train), data.y_train, bag_features(bag, data.full_val),
                                   data.y_val, data.num_classes)
        self.p_val = self.fit.p_val

    def build(self, full_ids, num_classes: int):
        """The linear model's probabilities, as a tensor of the graph that reads `full_ids`: frozen Keras layers."""
        from textsweep.pipeline.linear import load_into
        from textsweep.pipeline.model import output_units
        from textsweep.pipeline.ngrams import NgramVector

        units = output_units(num_classes)
        bag = NgramVector(self.vocab_size, units, 2, "tfidf", True, [len(k) for k in self.known], name="linear_bag",
                          trainable=False)
        output = layers.Dense(units, activation="sigmoid" if num_classes == 2 else "softmax", name="linear_output",
                              trainable=False)
        out = output(bag(full_ids))
        for weight, codes in zip(bag.known, self.known):
            weight.assign(codes)
        bag.idf.assign(self.idf.astype("float32"))
        load_into(bag, output, self.fit)
        return out


_fitted: dict[str, LinearPart] = {}


def linear_part(data) -> LinearPart:
    """The split's linear model, fitted once per process (the trials of a sweep in one process share a split)."""
    digest = hashlib.sha1()
    for array in (data.full_train, data.y_train, data.full_val, data.y_val):
        digest.update(np.ascontiguousarray(array).tobytes())
    digest.update(str(data.full_vectorizer.size).encode())
    key = digest.hexdigest()
    if key not in _fitted:
        _fitted.clear()  # one split at a time: a process that moves to other data frees the last one
        _fitted[key] = LinearPart(data)
    return _fitted[key]


class BlendOnValidation(keras.callbacks.Callback):
    """Each epoch: the blend's validation scores in the epoch's logs, in place of the network's (see the module)."""

    def __init__(self, part: LinearPart, y_val: np.ndarray, predict_val):
        super().__init__()
        self.part, self.y_val, self.predict_val = part, y_val, predict_val  # predict_val(model) -> network outputs
        self.weights: list[float] = []

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        w, loss, accuracy = choose_weight(self.part.p_val, as_columns(self.predict_val(self.model)), self.y_val)
        self.weights.append(w)
        if "val_accuracy" in logs:
            logs["network_val_accuracy"], logs["network_val_loss"] = logs["val_accuracy"], logs.get("val_loss")
        logs.update(val_accuracy=accuracy, val_loss=loss, linear_weight=w)

    def weight_at(self, epoch: int | None) -> float:
        """w of the given 0-based epoch (the one early stopping restored), or of the last epoch."""
        return self.weights[-1 if epoch is None else epoch]


def blended(network: keras.Model, part: LinearPart, weight: float, num_classes: int) -> keras.Model:
    """One Keras model: the trained network and the linear layers, joined by Blend with weight w."""
    by_name = {t.name: t for t in network.inputs}
    # a wide & deep network reads full_ids already: the linear part reads the same input
    full_ids = by_name["full_ids"] if "full_ids" in by_name else keras.Input(shape=(None,), dtype="int32", name="full_ids")
    blend = Blend(name="blend")
    out = blend([part.build(full_ids, num_classes), network.outputs[0]])
    blend.linear_weight.assign(weight)
    return keras.Model({"token_ids": by_name["token_ids"], "full_ids": full_ids}, out, name=network.name)
