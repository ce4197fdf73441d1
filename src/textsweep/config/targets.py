"""Components named by `_target_` (Hydra's convention): the class a config node's `_target_` names.

Datasets and embeddings are built this way: `conf/dataset/csv.yaml` says
`_target_: textsweep.pipeline.datasets.csv_file.CsvFile`, and a project's own `conf/dataset/my_data.yaml` can
name a class of its own package. Only the class is resolved here (module.Class, as Hydra's instantiate resolves it): the node itself
stays the component's settings, read by its methods.
"""

from textsweep.errors import ConfigError


def target_class(node, where: str, base: type | str, example: str) -> type:
    """The class `<where>._target_` names, a subclass of `base` (a class, or its dotted name: the config layer
    checks components without importing the pipeline above it); a one-line ConfigError naming the key otherwise."""
    path = node.get("_target_") if node is not None else None
    if not path:
        raise ConfigError(f"{where}._target_ is not set: name the class that builds it, e.g. {where}._target_={example}")
    import importlib

    module, _, name = path.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module), name)
    except Exception as e:  # ImportError, AttributeError, ValueError (no module part), an error in the module
        cause = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ConfigError(f"{where}._target_={path!r} cannot be imported ({cause}): check the module and class "
                          f"name, e.g. {example}") from None
    if not isinstance(cls, type):
        raise ConfigError(f"{where}._target_={path!r} is not a class: name one, e.g. {example}")
    if isinstance(base, type):
        base = f"{base.__module__}.{base.__qualname__}"
    if not any(f"{c.__module__}.{c.__qualname__}" == base for c in cls.__mro__):
        raise ConfigError(f"{where}._target_={path!r} is not a {base.rpartition('.')[2]}: name one, e.g. {example}")
    return cls
