"""Components named by `_target_` (Hydra's convention): the class a config node's `_target_` names.

Datasets and embeddings are built this way: `conf/dataset/csv.yaml` says
`_target_: textsweep.pipeline.datasets.csv_file.CsvFile`, and a project's own `conf/dataset/my_data.yaml` can
name a class of its own package. Only the class is resolved here (hydra.utils.get_class): the node itself
stays the component's settings, read by its methods.
"""

from textsweep.errors import ConfigError


def target_class(node, where: str, base: type, example: str) -> type:
    """The `base` subclass that `<where>._target_` names; a one-line ConfigError naming the key otherwise."""
    path = node.get("_target_") if node is not None else None
    if not path:
        raise ConfigError(f"{where}._target_ is not set: name the class that builds it, e.g. {where}._target_={example}")
    from hydra.utils import get_class

    try:
        cls = get_class(path)
    except Exception as e:  # ImportError, AttributeError, or Hydra's wrapping of them
        cause = (str(e).strip().splitlines() or [type(e).__name__])[0][:200]
        raise ConfigError(f"{where}._target_={path!r} cannot be imported ({cause}): check the module and class "
                          f"name, e.g. {example}") from None
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise ConfigError(f"{where}._target_={path!r} is not a {base.__module__}.{base.__name__}: subclass it")
    return cls
