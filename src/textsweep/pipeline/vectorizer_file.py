"""A logged model's vectoriser file (`data/textsweep_text.json`) read against its schema before anything is built.

A model folder may come from anyone: a string where a number belongs (`"maxlen": "16"`) or an out-of-range
id (`"oov_id": 10**12`) would fail deep inside NumPy or Keras, or index past the vocabulary. Each key of the
`Vectorizer` dataclass is checked by type and range here; a key added to the dataclass later is accepted
without a rule, a key it does not have is refused (the dataclass would refuse it too, with a traceback)."""

import dataclasses
import json

from textsweep.errors import DataError

MAX_MAXLEN = 1_000_000
MAX_VOCAB = 50_000_000


def read_vectorizer_file(path: str) -> dict:
    """The file's JSON, checked; DataError with one line naming the file, the key and what it holds otherwise."""
    try:
        with open(path, encoding="utf-8") as f:
            meta = json.load(f)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise DataError(f"{path} is not valid JSON ({e}): the model folder is damaged; log the model again") from None
    check_vectorizer_meta(meta, path)
    return meta


def check_vectorizer_meta(meta, path: str) -> None:
    def bad(key: str, value, expected: str):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise DataError(f"{path}: {key}={shown} is not valid ({expected}): the model folder is damaged or was not written "
                        "by textsweep; log the model again")

    if not isinstance(meta, dict) or not isinstance(meta.get("vectorizer"), dict):
        bad("vectorizer", None if not isinstance(meta, dict) else meta.get("vectorizer"), "expected a mapping")
    v = meta["vectorizer"]
    names = meta.get("class_names")
    if (not isinstance(names, list) or len(names) < 2 or not all(isinstance(n, str) for n in names)
            or len(set(names)) != len(names)):
        bad("class_names", names, "expected a list of at least 2 distinct strings")
    check_vectorizer(v, "vectorizer", bad)
    if meta.get("full_vectorizer") is not None:  # the n-gram bag's whole-text vocabulary
        if not isinstance(meta["full_vectorizer"], dict):
            bad("full_vectorizer", meta["full_vectorizer"], "expected a mapping")
        check_vectorizer(meta["full_vectorizer"], "full_vectorizer", bad)
    lengths = meta.get("bucket_lengths")
    if lengths is not None and (not isinstance(lengths, list) or not lengths or any(
            isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= v["maxlen"] for n in lengths)
            or lengths != sorted(set(lengths))):
        bad("bucket_lengths", lengths, f"expected increasing integers in [1, maxlen={v['maxlen']}]")


def check_vectorizer(v: dict, name: str, bad) -> None:
    """One vectoriser's settings (`name`: its key in the file), by the rules of the Vectorizer dataclass."""
    from textsweep.pipeline.vectorize import Vectorizer

    known = {f.name for f in dataclasses.fields(Vectorizer) if f.init}
    for key in v:
        if key not in known:
            bad(f"{name}.{key}", v[key], f"not a vectoriser setting: use {', '.join(sorted(known))}")
    vocab = v.get("vocab")
    if not isinstance(vocab, list) or not 2 <= len(vocab) <= MAX_VOCAB or not all(isinstance(w, str) for w in vocab):
        bad(f"{name}.vocab", vocab, f"expected a list of 2 to {MAX_VOCAB} strings")

    def integer(key: str, low: int, high: int, optional: bool = False):
        value = v.get(key)
        if value is None and (optional or key not in v):
            return
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            bad(f"{name}.{key}", value, f"expected an integer in [{low}, {high}]")

    integer("maxlen", 1, MAX_MAXLEN)
    if "maxlen" not in v:
        bad(f"{name}.maxlen", None, "required")
    integer("oov_id", 0, len(vocab) - 1)
    integer("start_id", 0, len(vocab) - 1, optional=True)
    for key in ("padding", "truncating"):
        if key in v and v[key] not in ("pre", "post"):
            bad(f"{name}.{key}", v[key], "expected 'pre' or 'post'")
    if "lowercase" in v and not isinstance(v["lowercase"], bool):
        bad(f"{name}.lowercase", v["lowercase"], "expected true or false")
