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

from textsweep.vectorize import pad, tokenize

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


# --- rendering ---------------------------------------------------------------------------------------

def to_terminal(e: Explanation, colour: bool) -> str:
    scale = max((abs(c) for c in e.contributions), default=0.0) or 1.0
    parts = []
    for word, c in zip(e.words, e.contributions):
        if colour:
            strength = min(abs(c) / scale, 1.0)
            code = (32 if c > 0 else 31) if strength > 0.15 else 0
            bold = ";1" if strength > 0.6 else ""
            parts.append(f"\033[{code}{bold}m{word}\033[0m" if code else word)
        else:
            parts.append(f"{word}({c:+.3f})")
    probs = "  ".join(f"{k}={v:.3f}" for k, v in e.probabilities.items())
    top = ", ".join(f"{w} {c:+.3f}" for w, c in e.top(5))
    return f"{' '.join(parts)}\n  {probs}\n  toward '{e.target}' ({e.method}): {top}"


def to_html(explanations: list[Explanation], title: str) -> str:
    """A self-contained page: each word shaded green (toward the class) or red (against)."""
    from html import escape

    rows = []
    for e in explanations:
        scale = max((abs(c) for c in e.contributions), default=0.0) or 1.0
        spans = []
        for word, c in zip(e.words, e.contributions):
            alpha = min(abs(c) / scale, 1.0) * 0.8
            colour = f"rgba(0,150,0,{alpha:.2f})" if c > 0 else f"rgba(200,0,0,{alpha:.2f})"
            spans.append(f'<span style="background:{colour}" title="{c:+.4f}">{escape(word)}</span>')
        probs = ", ".join(f"{escape(k)} {v:.3f}" for k, v in e.probabilities.items())
        rows.append(f'<div class="ex"><p class="text">{" ".join(spans)}</p>'
                    f'<p class="meta">toward <b>{escape(e.target)}</b> ({escape(e.method)}); probabilities: {probs}</p></div>')
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title><style>"
            "body{font-family:sans-serif;max-width:60em;margin:2em auto}.ex{border-bottom:1px solid #ddd;padding:.5em 0}"
            ".text{font-size:1.15em;line-height:1.9}.text span{padding:2px 3px;border-radius:3px}.meta{color:#555;font-size:.9em}"
            f"</style></head><body><h1>{escape(title)}</h1><p>Green pushes toward the class, red against it; "
            f"hover a word for its contribution.</p>{''.join(rows)}</body></html>")


def load_classifier(model_uri: str):
    """The TextClassifier (Keras model + vectoriser) behind a logged textsweep model (never unpickled)."""
    from textsweep.serving import load_classifier as safe_load

    return safe_load(model_uri)


def main(argv: list[str]) -> int:
    import argparse
    import os
    import sys

    from textsweep.errors import ConfigError

    p = argparse.ArgumentParser(prog="textsweep explain", description="Which words drive a prediction.")
    p.add_argument("model_uri", help="runs:/<run_id>/model, models:/<name>@champion, models:/m-<id>, or a local folder")
    p.add_argument("texts", nargs="+", help="texts to explain, one argument each")
    p.add_argument("--method", choices=METHODS, default="occlusion",
                   help="occlusion (default: drop one word at a time), integrated_gradients, or prefix (read word by word)")
    p.add_argument("--target", help="class the contributions refer to (default: the predicted class)")
    p.add_argument("--html", help="also write a highlighted, self-contained page here")
    p.add_argument("--tracking-uri", help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else textsweep's local store)")
    args = p.parse_args(argv)
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    import mlflow

    from textsweep.tracking import command_tracking_uri

    mlflow.set_tracking_uri(command_tracking_uri(args.tracking_uri))
    from textsweep.errors import TextsweepError

    try:
        classifier = load_classifier(args.model_uri)
    except TextsweepError:
        raise
    except Exception as e:
        raise ConfigError(f"cannot load model {args.model_uri} ({str(e).strip().splitlines()[0][:200]}): check the URI") from None
    if args.target is not None and args.target not in classifier.class_names:
        raise ConfigError(f"--target {args.target!r} is not a class: use one of {', '.join(classifier.class_names)}")
    colour = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None or os.environ.get("FORCE_COLOR") is not None
    try:
        explanations = [explain_text(classifier, text, args.method, args.target) for text in args.texts]
    except ValueError as e:
        raise ConfigError(str(e)) from None
    for e in explanations:
        print(to_terminal(e, colour))
    if args.html:
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(to_html(explanations, f"textsweep explain ({args.method})"))
        print(f"wrote {args.html}", file=sys.stderr)
    return 0
