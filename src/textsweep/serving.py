"""The logged model: MLflow's Keras flavor plus the text vectoriser, and a pyfunc that reads raw text.

One MLflow model, two ways in:
- `mlflow.keras.load_model(uri)` gives the Keras model (padded ids in, probabilities out; a model with an n-gram
  bag also reads `full_ids`, the whole text's ids: pipeline/ngrams.py);
- `mlflow.pyfunc.load_model(uri).predict(["a wonderful, calming film"])` gives a DataFrame of class
  probabilities, one column per class name, from raw text: the pyfunc flavor's loader is this module,
  which reads the vectoriser saved beside the Keras file.
Keras files load with safe_mode (no arbitrary code from a model file).
"""

import json
import logging
import os
import sys
from importlib.metadata import PackageNotFoundError, version

import numpy as np

FLAVOR_NAME = "textsweep"
VECTORIZER_FILE = "data/textsweep_text.json"


def _pip_requirements() -> list[str]:
    """Pinned explicitly: MLflow's inference of requirements costs 7 to 9 s a model."""
    reqs = []
    for name in ("tensorflow", "keras", "mlflow", "numpy", "pandas"):
        try:
            reqs.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            pass
    return reqs


def text_signature(class_names: list[str]):
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema

    return ModelSignature(
        inputs=Schema([ColSpec("string")]),  # unnamed: a plain list of texts is accepted
        outputs=Schema([ColSpec("double", name) for name in class_names]),
    )


def save_model(keras_model, path, vectorizer, class_names, buckets=None, mlflow_model=None, full_vectorizer=None, **_ignored):
    """The `flavor.save_model` that mlflow.models.Model.log calls."""
    import mlflow.keras
    from mlflow.models import Model

    mlflow_model = mlflow_model or Model()
    keras_logger = logging.getLogger("mlflow.keras.save")
    level = keras_logger.level
    keras_logger.setLevel(logging.ERROR)  # its "no signature" warning: ours is a text signature, set below
    try:
        mlflow.keras.save_model(keras_model, path, mlflow_model=mlflow_model, pip_requirements=_pip_requirements())
    finally:
        keras_logger.setLevel(level)
    from textsweep.pipeline.whole_text import reads_whole_text

    bag = reads_whole_text(keras_model) and full_vectorizer is not None  # the whole text's vocabulary, for the bag
    with open(os.path.join(path, VECTORIZER_FILE), "w") as f:
        json.dump({"vectorizer": json.loads(vectorizer.to_json()), "class_names": list(class_names),
                   "bucket_lengths": list(buckets.lengths) if buckets else None,
                   "full_vectorizer": json.loads(full_vectorizer.to_json()) if bag else None}, f)
    mlflow_model.flavors["python_function"]["loader_module"] = __name__
    mlflow_model.add_flavor(FLAVOR_NAME, vectorizer=VECTORIZER_FILE, class_names=list(class_names))
    mlflow_model.signature = text_signature(class_names)
    mlflow_model.save(os.path.join(path, "MLmodel"))


def log_model(client, experiment_id: str, run_id: str, keras_model, vectorizer, class_names,
              params: dict[str, str] | None = None, name: str = "model", buckets=None, full_vectorizer=None):
    """Log the model as an output of the run, in the run's experiment (`runs:/<run_id>/model` resolves to it).

    The LoggedModel is created here with the experiment id: without a fluent active run, MLflow would
    file it under the Default experiment.
    """
    from mlflow.models import Model

    logged = client.create_logged_model(experiment_id=experiment_id, name=name, source_run_id=run_id, params=params)
    return Model.log(artifact_path=None, name=name, flavor=sys.modules[__name__], run_id=run_id, model_id=logged.model_id,
                     keras_model=keras_model, vectorizer=vectorizer, class_names=class_names, buckets=buckets,
                     full_vectorizer=full_vectorizer)


class TextClassifier:
    """What mlflow.pyfunc.load_model returns (wrapped): raw texts in, class probabilities out.

    buckets: the length buckets of a model trained with trainer.bucketing; its inputs are cut the same way.
    full_vectorizer: the n-gram bag's vocabulary (every training word, up to the n-gram cap), for a model that reads
    whole texts beside (or instead of) its padded token ids; the same features as in training, from the same code.
    """

    def __init__(self, keras_model, vectorizer, class_names, buckets=None, full_vectorizer=None):
        from textsweep.pipeline.whole_text import reads_whole_text

        self.keras_model, self.vectorizer, self.class_names, self.buckets = keras_model, vectorizer, class_names, buckets
        self.full_vectorizer = full_vectorizer if reads_whole_text(keras_model) else None

    def predict(self, model_input, params=None):
        import pandas as pd

        return pd.DataFrame(self.probabilities_of_words([self.words(t) for t in _texts(model_input)]), columns=self.class_names)

    def words(self, text: str) -> list[str]:
        from textsweep.pipeline.vectorize import tokenize

        return tokenize(text, self.vectorizer.lowercase)

    def inputs_of_words(self, word_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray | None]:
        """(padded token ids, whole-text ids or None) for tokenised texts: what training fed the model."""
        from textsweep.pipeline.whole_text import pad_whole
        from textsweep.pipeline.vectorize import pad

        v = self.vectorizer
        x = pad([v.ids_of_words(words) for words in word_lists], v.maxlen, v.padding, v.truncating)
        full = None
        if self.full_vectorizer is not None:
            full = pad_whole([self.full_vectorizer.ids_of_words(words) for words in word_lists], self.full_vectorizer.maxlen)[0]
        return x, full

    def probabilities_of_words(self, word_lists: list[list[str]]) -> np.ndarray:
        return self.probabilities(*self.inputs_of_words(word_lists))

    def probabilities(self, x: np.ndarray, full: np.ndarray | None = None) -> np.ndarray:
        """(n, classes) probabilities for padded id rows (and whole-text ids), for both output kinds (sigmoid or softmax)."""
        from textsweep.pipeline.whole_text import model_inputs

        if self.buckets is not None:
            raw = self.buckets.predict(self.keras_model, x, full=full)
        else:
            raw = self.keras_model.predict(model_inputs(self.keras_model, x, full), verbose=0, batch_size=256)
        raw = np.asarray(raw, dtype=np.float64)
        return np.concatenate([1.0 - raw, raw], axis=-1) if raw.shape[-1] == 1 else raw

    def model_input(self, row: np.ndarray) -> np.ndarray:
        """One padded row as the model reads it: cut to its bucket's length under bucketing."""
        if self.buckets is None:
            return row
        from textsweep.pipeline.buckets import trim

        return trim(row, self.buckets.lengths[self.buckets.assign(row)[0]], self.buckets.padding)


def _texts(model_input) -> list[str]:
    import pandas as pd

    if isinstance(model_input, str):
        return [model_input]
    if isinstance(model_input, pd.DataFrame):
        column = "text" if "text" in model_input.columns else model_input.columns[0]
        return [str(t) for t in model_input[column]]
    return [str(t) for t in np.asarray(model_input, dtype=object).ravel()]


def load_text_classifier(path: str) -> TextClassifier:
    from textsweep.pipeline.vectorizer_file import read_vectorizer_file

    meta = read_vectorizer_file(os.path.join(path, VECTORIZER_FILE))  # checked against its schema, before TensorFlow
    import keras

    import textsweep.pipeline.blend  # noqa: F401  (registers the blend layer for safe_mode loading)
    import textsweep.pipeline.ngrams  # noqa: F401  (registers the n-gram bag's layers for safe_mode loading)

    from textsweep.pipeline.buckets import Buckets
    from textsweep.pipeline.vectorize import Vectorizer

    vectorizer = Vectorizer(**meta["vectorizer"])
    lengths = meta.get("bucket_lengths")  # absent in models logged before bucketing existed
    buckets = Buckets(tuple(lengths), vectorizer.padding) if lengths else None
    keras_model = keras.saving.load_model(os.path.join(path, "data", "model.keras"), safe_mode=True)
    full = meta.get("full_vectorizer")  # absent in models logged before the n-gram bag read whole texts
    return TextClassifier(keras_model, vectorizer, meta["class_names"], buckets, Vectorizer(**full) if full else None)


def load_classifier(model_uri: str) -> TextClassifier:
    """The one way textsweep's commands (predict, explain) load a model: never by unpickling.

    MLflow's generic loaders would import the folder's loader module or unpickle its python_model.pkl
    before any check, so a crafted folder could run code. Here only the MLmodel file (YAML, safe_load),
    the vectoriser's JSON and the Keras file (safe_mode) are read; a folder without textsweep's flavor
    is refused in one line."""
    import mlflow
    import yaml

    from textsweep.errors import TextsweepError

    local = model_uri if os.path.isdir(model_uri) else mlflow.artifacts.download_artifacts(artifact_uri=model_uri)
    try:
        with open(os.path.join(local, "MLmodel"), encoding="utf-8") as f:
            flavors = (yaml.safe_load(f) or {}).get("flavors") or {}
    except (OSError, yaml.YAMLError, AttributeError):
        flavors = {}
    files = [os.path.join(local, VECTORIZER_FILE), os.path.join(local, "data", "model.keras")]
    if FLAVOR_NAME not in flavors or not all(os.path.isfile(f) for f in files):
        raise TextsweepError(f"{model_uri} is not a textsweep model (no textsweep flavor with {VECTORIZER_FILE} and "
                             "data/model.keras): textsweep loads only its own models, and never unpickles one")
    return load_text_classifier(local)


def _load_pyfunc(path: str) -> TextClassifier:
    """Called by mlflow.pyfunc.load_model with the model's local folder."""
    return load_text_classifier(path)
