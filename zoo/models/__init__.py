"""One package per architecture family: slim.py (the TF1 original), native.py (Keras), and the registry
entry with its slim-name mapping in __init__.py. The shim is generic (zoo.shim).

Importing this package registers every family: each subpackage is one, found on disk (adding a family is adding
its folder) and imported in name order, so the registry fills the same way on every machine."""
import importlib
import pkgutil
from typing import List

from zoo.errors import one_line
from zoo.spec import _REGISTRY

__all__ = ["families"]


def families() -> List[str]:
    """The family names: zoo/models' subpackages, sorted."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if m.ispkg)


def _register_all() -> None:
    """Import every family (its __init__ registers its ModelSpecs: pure data, no TensorFlow). A family that fails
    to import stops here with one line naming it (a silently missing family would look like fewer models), and
    leaves none of its specs behind, so importing again reports the same error."""
    for family in families():
        before = set(_REGISTRY)
        try:
            importlib.import_module(f"{__name__}.{family}")
        except Exception as e:
            for name in set(_REGISTRY) - before:
                del _REGISTRY[name]
            raise ImportError(f"model family {family!r} (zoo/models/{family}/) failed to import: "
                              f"{type(e).__name__}: {one_line(e)}; fix it or remove the folder") from e


_register_all()
