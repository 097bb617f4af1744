"""Native Keras weights <-> slim variable names, by one naming rule.

A native layer is named after its slim scope relative to the network's root scope, with '-' for '/':
layer `Conv2d_1_depthwise-BatchNorm` of MobileNet v1 holds `MobilenetV1/Conv2d_1_depthwise/BatchNorm/*`.
('-' because Keras forbids '/' in layer names and Keras 3's PyTorch backend forbids '.' in variable paths;
no slim scope contains '-'.)
Each Keras layer type knows the slim suffix of each of its weights (a zoo layer says it in `slim_weights`, where ""
names the layer's scope itself, as NASNet's `global_step`). So one small table serves every
architecture and both Kerases, and a reader finds each slim scope in the Keras model summary.
"""
import dataclasses
import functools
from typing import Any, Dict, Iterable, Optional, Tuple

# Layer class name -> {weight attribute: slim variable suffix}. Keras 3 names a depthwise kernel `kernel`,
# tf_keras `depthwise_kernel`; both spellings map to slim's `depthwise_weights`.
_LAYER_WEIGHTS = {
    "DepthwiseConv2D": {"depthwise_kernel": "depthwise_weights", "kernel": "depthwise_weights", "bias": "biases"},
    "SeparableConv2D": {"depthwise_kernel": "depthwise_weights", "pointwise_kernel": "pointwise_weights",
                        "bias": "biases"},
    "Conv2D": {"kernel": "weights", "bias": "biases"},
    "Conv2DTranspose": {"kernel": "weights", "bias": "biases"},
    "Dense": {"kernel": "weights", "bias": "biases"},
    "BatchNormalization": {"beta": "beta", "gamma": "gamma", "moving_mean": "moving_mean",
                           "moving_variance": "moving_variance"},
}


@functools.lru_cache(maxsize=None)
def _weight_suffixes_of(cls: type) -> Optional[Dict[str, str]]:
    """The table row of the nearest Keras (3 or tf_keras) base class of `cls` that is in the table."""
    for base in cls.__mro__:
        if base.__module__.startswith(("keras.", "tf_keras.")) and base.__name__ in _LAYER_WEIGHTS:
            return _LAYER_WEIGHTS[base.__name__]
    return None


SEPARATOR = "-"


def layer_name(scope: str) -> str:
    """Native layer name for a slim scope relative to the root: 'block1/unit_1' -> 'block1-unit_1'."""
    return scope.replace("/", SEPARATOR)


def under(name: str, scopes: Iterable[str], separator: str = "/") -> bool:
    """Whether `name` is one of `scopes` or inside one ('a/b' is under 'a' and 'a/', not under 'ab'): the one scope
    matcher of checkpoint loading, head re-initialisation, feature end points (separator '-') and training scopes."""
    if isinstance(scopes, str):
        scopes = (scopes,)
    for scope in scopes:
        scope = scope.rstrip(separator)
        if name == scope or name.startswith(scope + separator):
            return True
    return False


@dataclasses.dataclass(frozen=True)
class SlimMapping:
    """How one architecture's native model maps to its slim variable names."""
    root: str                 # the slim root scope, e.g. "LeNet"; "" for nets without one (NASNet: `cell_0/...`)
    head_scopes: tuple = ()   # classifier scopes (relative), e.g. ("fc4",): where class counts may differ
    anchor: str = ""          # a root-less net's top-level scope that its checkpoints always hold

    def scope_of(self, keras_layer_name: str) -> str:
        return self._absolute(keras_layer_name.replace(SEPARATOR, "/"))

    def _absolute(self, scope):
        return f"{self.root}/{scope}" if self.root else scope

    @property
    def top_scope(self) -> str:
        """The top-level scope by which a checkpoint of this architecture is recognised (zoo inspect)."""
        return self.root or self.anchor

    @property
    def head_variable_scopes(self) -> Tuple[str, ...]:
        return tuple(self._absolute(s) for s in self.head_scopes)

    def native_variables(self, model: Any) -> Dict[str, Any]:
        """{slim_name: variable} for every weight of `model` (Keras 3 or tf_keras); raises if a weight has no
        slim name."""
        named, seen = {}, set()
        for layer in model._flatten_layers(include_self=False, recursive=True):
            cls: type = type(layer)
            suffixes = getattr(cls, "slim_weights", None) or _weight_suffixes_of(cls)
            if suffixes is None:
                continue
            for attr, suffix in suffixes.items():
                var = getattr(layer, attr, None)
                if var is None or id(var) in seen:
                    continue
                named["/".join(filter(None, (self.scope_of(layer.name), suffix)))] = var
                seen.add(id(var))
        unmapped = [w.name for w in model.weights if id(w) not in seen]
        if unmapped:
            raise TypeError(f"Weights with no slim name in {model.name}: {unmapped}. Add their layer type "
                            "to zoo.slim_names._LAYER_WEIGHTS.")
        return named
