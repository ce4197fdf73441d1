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

from textsweep.pipeline.vectorize import pad, tokenize

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
    """classifier: a serving.TextClassifier (Keras model, vectoriser, class names)."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}")
    vec, model, names = classifier.vectorizer, classifier.keras_model, classifier.class_names
    words = tokenize(text, vec.lowercase)
    ids = vec.ids(text)
    offset = len(ids) - len(words)  # a start token (IMDB) precedes the words
    keep = min(len(words), vec.maxlen - offset)  # truncation 'pre' keeps the last words
    if vec.truncating == "pre":
        words, word_ids = words[len(words) - keep:], ids[len(ids) - keep:]
    else:
        words, word_ids = words[:keep], ids[offset:offset + keep]
    prefix_ids = ids[:offset]
    full = pad([prefix_ids + word_ids], vec.maxlen, vec.padding, vec.truncating)
    probs = classifier.probabilities(full)[0]
    t = names.index(target) if target is not None else int(np.argmax(probs))
    if not words:
        contributions = []
    elif method == "occlusion":
        variants = [prefix_ids + word_ids[:i] + word_ids[i + 1:] for i in range(len(word_ids))]
        p = classifier.probabilities(pad(variants, vec.maxlen, vec.padding, vec.truncating))[:, t]
        contributions = list(probs[t] - p)
    elif method == "prefix":
        prefixes = [prefix_ids + word_ids[:i] for i in range(len(word_ids) + 1)]
        p = classifier.probabilities(pad(prefixes, vec.maxlen, vec.padding, vec.truncating))[:, t]
        contributions = list(np.diff(p))
    else:
        x = classifier.model_input(full)  # cut to its bucket when the model was trained with bucketing
        start = x.shape[1] - len(word_ids) if vec.padding == "pre" else len(prefix_ids)
        contributions = _integrated_gradients(model, x, range(start, start + len(word_ids)), t, steps)
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
