"""Which words drive a prediction: per-word contributions to one class's probability, three ways.

- `occlusion` (default): leave one word out and measure how much the class probability drops. Model-
  agnostic and exact for what it asks; costs one forward pass per word, batched.
- `integrated_gradients`: gradients of the class probability along a straight path from an all-padding
  embedding to the text's embeddings (Sundararajan et al., 2017). Contributions sum to the difference in
  probability between the text and the empty input.
- `prefix`: how the probability moves as the LSTM reads word by word: the contribution of word k is
  p(first k words) - p(first k-1 words). It shows where a recurrent model changes its mind ("not", "but").

A contribution is positive when the word pushes toward the target class (by default the predicted one).
"""

from dataclasses import dataclass

import numpy as np

from textsweep.pipeline.vectorize import pad

METHODS = ("occlusion", "integrated_gradients", "prefix")


@dataclass
class Explanation:
    text: str
    words: list[str]  # as tokenised (what the model reads), in order
    contributions: list[float]  # one per word
    target: str  # the class the contributions refer to
    probabilities: dict[str, float]  # of the whole text
    method: str

    def top(self, k: int = 5) -> list[tuple[str, float]]:
        order = np.argsort(-np.abs(self.contributions))[:k]
        return [(self.words[i], self.contributions[i]) for i in order]


def explain_text(classifier, text: str, method: str = "occlusion", target: str | None = None, steps: int = 32) -> Explanation:
    """classifier: a serving.TextClassifier (Keras model, vectorisers, class names).

    The words explained are the words the model reads: the whole text (up to the n-gram cap) for a model with an
    n-gram bag, else the words its padded sequence keeps (the last dataset.maxlen with truncating=pre)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    vec, model, names = classifier.vectorizer, classifier.keras_model, classifier.class_names
    words = classifier.words(text)
    if classifier.full_vectorizer is not None:
        if method == "integrated_gradients":
            raise ValueError("integrated_gradients follows the embedding, and this model also reads the whole text as an "
                             "n-gram bag: use --method occlusion (or prefix)")
        words = words[:classifier.full_vectorizer.maxlen]
    else:
        start_mark = 1 if vec.start_id is not None else 0
        keep = max(0, min(len(words), vec.maxlen - start_mark))
        words = words[len(words) - keep:] if vec.truncating == "pre" else words[:keep]
    probs = classifier.probabilities_of_words([words])[0]
    t = names.index(target) if target is not None else int(np.argmax(probs))
    if not words:
        contributions = []
    elif method == "occlusion":
        p = classifier.probabilities_of_words([words[:i] + words[i + 1:] for i in range(len(words))])[:, t]
        contributions = list(probs[t] - p)
    elif method == "prefix":
        p = classifier.probabilities_of_words([words[:i] for i in range(len(words) + 1)])[:, t]
        contributions = list(np.diff(p))
    else:
        ids = vec.ids_of_words(words)
        x = classifier.model_input(pad([ids], vec.maxlen, vec.padding, vec.truncating))  # cut to its bucket when bucketing
        start = x.shape[1] - len(words) if vec.padding == "pre" else len(ids) - len(words)
        contributions = _integrated_gradients(model, x, range(start, start + len(words)), t, steps)
    return Explanation(text, words, [float(c) for c in contributions], names[t],
                       {n: float(p) for n, p in zip(names, probs)}, method)


def _integrated_gradients(model, x: np.ndarray, positions: range, target: int, steps: int) -> list[float]:
    import tensorflow as tf

    embedding = model.get_layer("embedding")
    after = model.layers[model.layers.index(embedding) + 1:]  # presets are a chain of layers after the embedding
    emb = embedding(tf.constant(x))
    baseline = tf.zeros_like(emb)
    alphas = tf.reshape(tf.linspace(0.0, 1.0, steps + 1), (-1, 1, 1))
    path = baseline + alphas * (emb - baseline)
    with tf.GradientTape() as tape:
        tape.watch(path)
        out = path
        for layer in after:
            out = layer(out, training=False)
        prob = out[:, 0] if out.shape[-1] == 1 else out[:, target]
        if out.shape[-1] == 1 and target == 0:
            prob = 1.0 - prob
    grads = tape.gradient(prob, path)
    avg = (grads[:-1] + grads[1:]) / 2.0  # trapezoid rule
    attributions = tf.reduce_sum(tf.reduce_mean(avg, axis=0) * (emb[0] - baseline[0]), axis=-1).numpy()
    return [float(attributions[i]) for i in positions]
