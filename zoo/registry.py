"""The model registry: one `ModelSpec` per name, as in slim's nets_factory and timm's registry."""
import difflib
import fnmatch
import numbers
from typing import List

from zoo.spec import _REGISTRY, ModelSpec, register

__all__ = ["IMPLS", "MAX_IMAGE_SIZE", "ModelSpec", "check_image_size", "check_impl", "get_spec", "list_models",
           "register"]
IMPLS = ("native", "shim", "slim")
MAX_IMAGE_SIZE = 2048  # beyond it one image's activations exceed a typical host's memory (OOM, not an error)


def _registered() -> dict:
    """The registry, filled on first use: importing zoo.models registers every family (pure data, no TensorFlow)."""
    import zoo.models  # noqa: F401  (registers every architecture)

    return _REGISTRY


def list_models(pattern: str = "*") -> List[str]:
    """Registered model names matching a shell-style pattern, sorted."""
    return sorted(n for n in _registered() if fnmatch.fnmatchcase(n, pattern))


def get_spec(name: str) -> ModelSpec:
    """The registered architecture `name`; an unknown name raises ValueError listing the close ones."""
    try:
        return _registered()[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.6)
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(f"Unknown model {name!r}. Registered models: {list_models()}.{hint}") from None


def check_image_size(spec: ModelSpec, size: object, what: str = "image_size") -> int:
    """`size` if `spec`'s original builds at it, else a ValueError naming the valid range."""
    high = min(spec.max_image_size or MAX_IMAGE_SIZE, MAX_IMAGE_SIZE)
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or not spec.min_image_size <= int(size) <= high:
        why = (f"its {high}px limit is where slim's classifier stops seeing a 1x1 map (slim fails there too)"
               if spec.max_image_size else f"{MAX_IMAGE_SIZE}px is the zoo's limit for any model")
        raise ValueError(f"{what}={size!r} does not fit {spec.name}: it takes {spec.min_image_size} to {high} "
                         f"pixels (default {spec.image_size}; {why}).")
    return int(size)


def check_impl(impl: str) -> str:
    if impl not in IMPLS:
        raise ValueError(f"Unknown impl {impl!r}; choose one of {list(IMPLS)}.")
    return impl
