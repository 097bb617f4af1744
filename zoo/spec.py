"""`ModelSpec`: everything the zoo knows about one architecture variant, as data (no TensorFlow), and `register`.

Each family's package (zoo/models/<family>/__init__.py) registers its variants; `zoo.registry` looks them up. The
networks themselves are `zoo.lazy.Lazy` references, imported on first use.
"""
from __future__ import annotations

import dataclasses
import inspect
from typing import Any, Callable, Dict, Optional, Tuple

from zoo.slim_names import SlimMapping


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """Everything the zoo knows about one architecture variant.

    slim_net(images, num_classes, is_training, **net_kwargs) -> (logits, end_points) is the TF1 original;
    slim_arg_scope(**scope_kwargs) its arg scope; native(kit, num_classes, input_shape, **kwargs) -> (inputs,
    outputs) builds the native network on a `zoo.nn.Kit` (Keras 3 or tf_keras; see zoo.native.NativeModel).
    Arguments named in `scope_kwargs` (e.g. weight_decay) go to the arg scope, the rest to the net.

    The fields after `max_image_size` are what the tests and the benchmark need to know; their defaults make a new
    family run every check (tests/ parametrise over `list_models()` and read them).
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
    scope_kwargs: Tuple[str, ...] = ("weight_decay",)
    paper: str = ""
    # The input sizes the slim original builds at (its fixed-kernel heads squeeze a 1x1 map only within them);
    # natives and shims enforce the same range. No upper bound of the head's: MAX_IMAGE_SIZE.
    min_image_size: int = 1
    max_image_size: Optional[int] = None
    # -- test and benchmark facts -------------------------------------------------------------------------------
    batch_norm: bool = False      # has batch norm (checked against the TF1 graph's variables in tests/test_registry)
    pretrained: bool = False      # Google published TF-Slim weights for it (weights_manifest.json must list them)
    test_image_size: Optional[int] = None  # the parity cases' input (None: image_size): the smallest it handles well
    test_kwargs: Dict[str, Any] = dataclasses.field(default_factory=dict, hash=False)  # the parity cases' options
    battery_by: str = ""          # a variant whose parity battery covers this one's code (same builder and mapping;
    #                               only depths or widths differ): here only the forward check runs. "": the battery
    heavy: bool = False           # a large net: its tests are marked `heavy`, the JAX/torch `.keras` round trip skipped
    keras3_only: bool = False     # gradients, batch-norm updates and native -> TF1 run on Keras 3 only (the builder
    #                               is shared and the kit's layer types are covered on tf_keras by other families)
    backends_by: str = ""         # a variant whose JAX/PyTorch-backend case covers this one's layers and ops
    keras_applications: str = ""  # the keras.applications constructor of the same architecture, for the benchmark

    @property
    def input_shape(self) -> Tuple[int, int, int]:
        return (self.image_size, self.image_size, self.channels)

    def split_kwargs(self, kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
        scope = {k: v for k, v in kwargs.items() if k in self.scope_kwargs}
        net = {k: v for k, v in kwargs.items() if k not in self.scope_kwargs}
        return scope, net

    def takes(self, argument: str) -> bool:
        """Whether the slim net function accepts `argument` (nets are often functools.partials)."""
        return argument in inspect.signature(self.slim_net).parameters


_REGISTRY: Dict[str, ModelSpec] = {}


def register(spec: ModelSpec) -> ModelSpec:
    if spec.name in _REGISTRY:
        raise ValueError(f"model {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec
