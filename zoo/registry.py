"""The model registry: one `ModelSpec` per name, as in slim's nets_factory and timm's registry."""
import dataclasses
import difflib
import fnmatch
import inspect
import numbers
from typing import Callable

from zoo.slim_names import SlimMapping

IMPLS = ("native", "shim", "slim")
MAX_IMAGE_SIZE = 2048  # beyond it one image's activations exceed a typical host's memory (OOM, not an error)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Everything the zoo knows about one architecture variant.

    slim_net(images, num_classes, is_training, **net_kwargs) -> (logits, end_points) is the TF1 original;
    slim_arg_scope(**scope_kwargs) its arg scope; native(kit, num_classes, input_shape, **kwargs) -> (inputs,
    outputs) builds the native network on a `zoo.nn.Kit` (Keras 3 or tf_keras; see zoo.native.NativeModel).
    Arguments named in `scope_kwargs` (e.g. weight_decay) go to the arg scope, the rest to the net.
    """
    name: str
    slim_net: Callable
    slim_arg_scope: Callable
    native: Callable
    mapping: SlimMapping
    image_size: int
    num_classes: int
    preprocessing: str
    num_params: int               # with the default num_classes and image size, as the TF1 graph counts them
    feature_scope: str = ""       # slim scope of the last feature map (include_top=False / backbone)
    channels: int = 3
    scope_kwargs: tuple = ("weight_decay",)
    paper: str = ""
    # The input sizes the slim original builds at (its fixed-kernel heads squeeze a 1x1 map only within them);
    # natives and shims enforce the same range. No upper bound of the head's: MAX_IMAGE_SIZE.
    min_image_size: int = 1
    max_image_size: int = None

    @property
    def input_shape(self):
        return (self.image_size, self.image_size, self.channels)

    def split_kwargs(self, kwargs):
        scope = {k: v for k, v in kwargs.items() if k in self.scope_kwargs}
        net = {k: v for k, v in kwargs.items() if k not in self.scope_kwargs}
        return scope, net

    def takes(self, argument):
        """Whether the slim net function accepts `argument` (nets are often functools.partials)."""
        return argument in inspect.signature(self.slim_net).parameters


_REGISTRY = {}


def _registered():
    """The registry, filled on first use (the architectures import TensorFlow and tf-slim)."""
    import zoo.models  # noqa: F401  (registers every architecture)

    return _REGISTRY


def register(spec):
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def list_models(pattern: str = "*") -> list:
    """Registered model names matching a shell-style pattern, sorted."""
    return sorted(n for n in _registered() if fnmatch.fnmatchcase(n, pattern))


def get_spec(name: str) -> ModelSpec:
    try:
        return _registered()[name]
    except KeyError:
        close = difflib.get_close_matches(name, list(_REGISTRY), n=3, cutoff=0.6)
        hint = f" Did you mean {close}?" if close else ""
        raise ValueError(f"Unknown model {name!r}. Registered models: {list_models()}.{hint}") from None


def check_image_size(spec: ModelSpec, size, what="image_size") -> int:
    """`size` if `spec`'s original builds at it, else a ValueError naming the valid range."""
    high = min(spec.max_image_size or MAX_IMAGE_SIZE, MAX_IMAGE_SIZE)
    if isinstance(size, bool) or not isinstance(size, numbers.Integral) or not spec.min_image_size <= size <= high:
        why = (f"its {high}px limit is where slim's classifier stops seeing a 1x1 map (slim fails there too)"
               if spec.max_image_size else f"{MAX_IMAGE_SIZE}px is the zoo's limit for any model")
        raise ValueError(f"{what}={size!r} does not fit {spec.name}: it takes {spec.min_image_size} to {high} "
                         f"pixels (default {spec.image_size}; {why}).")
    return int(size)


def check_impl(impl):
    if impl not in IMPLS:
        raise ValueError(f"Unknown impl {impl!r}; choose one of {list(IMPLS)}.")
    return impl
