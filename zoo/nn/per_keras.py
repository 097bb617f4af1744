"""What every per-Keras class of zoo is made with: `Kit` (one Keras' layers API for the builders), `register` (the
one place that calls a Keras' `register_keras_serializable`) and `keras_class` (a Keras-neutral class of logic on
one Keras' base class). Imports no Keras: each Keras is imported by its own module (`zoo.nn.keras3`,
`zoo.nn.tf_keras`) or by the caller that hands its base class in."""
from __future__ import annotations

import dataclasses
import functools
import types
from typing import Any, Dict, TypeVar

KERASES = ("keras", "tf_keras")

T = TypeVar("T", bound=type)

# The base of a class of logic for `keras_class`: at run time a plain mixin (its real base is the Keras class
# `keras_class` puts it on), typed Any so that its methods may use that base's members.
KerasBase: Any = object


def check_keras(keras: str) -> str:
    if keras not in KERASES:
        raise ValueError(f"keras={keras!r}; choose 'keras' (Keras 3, any backend) or 'tf_keras' (Keras 2).")
    return keras


def keras_of_class(cls: type) -> str:
    """"keras" or "tf_keras": which Keras a class derives from."""
    for base in cls.__mro__:
        if base.__module__.startswith("tf_keras."):
            return "tf_keras"
        if base.__module__.startswith("keras."):
            return "keras"
    raise TypeError(f"{cls.__name__} (module {cls.__module__}) is neither a Keras 3 nor a tf_keras object.")


def keras_of(model: Any) -> str:
    """"keras" or "tf_keras": which Keras a model or layer belongs to."""
    return keras_of_class(type(model))


def register(cls: T, package: str = "zoo") -> T:
    """`cls` registered with its own Keras as `<package>>ClassName`, the name `.keras` files store and load it by
    (so they load with no `custom_objects`; Keras 3 refuses a name registered twice: register each class once)."""
    if keras_of_class(cls) == "keras":
        import keras

        return keras.saving.register_keras_serializable(package=package)(cls)
    import tf_keras

    return tf_keras.utils.register_keras_serializable(package=package)(cls)


def keras_class(logic: type, base: type, *, serializable: bool = True, module: str | None = None,
                **members: Any) -> type:
    """`class <logic's name>(logic, base)` with `members` as class attributes: the Keras-neutral `logic` (its
    methods and docstring) on one Keras' `base`, registered (`register`) unless `serializable=False`. `module`
    (default `logic`'s) is where the class says it lives. Call it once per Keras and keep the class (a module
    attribute, or a cached function)."""
    namespace = {"__module__": module or logic.__module__, "__qualname__": logic.__qualname__,
                 "__doc__": logic.__doc__, **members}
    cls = types.new_class(logic.__name__, (logic, base), exec_body=lambda ns: ns.update(namespace))
    return register(cls) if serializable else cls


class Layers:
    """One Keras' `layers` namespace with zoo's corrected classes in place of Keras' own (the Keras 3 kit's
    `AveragePooling2D` and `BatchNormalization`), so a builder writing `k.layers.AveragePooling2D` gets the same
    class as `k.AveragePooling2D`: it cannot pick an uncorrected one."""

    def __init__(self, layers: types.ModuleType, corrected: Dict[str, type]):
        self._layers, self._corrected = layers, corrected

    def __getattr__(self, name: str) -> Any:
        corrected = self.__dict__.get("_corrected", {})
        return corrected[name] if name in corrected else getattr(self.__dict__["_layers"], name)

    def __dir__(self) -> list:
        return sorted(set(dir(self._layers)) | set(self._corrected))

    def __repr__(self) -> str:
        return f"<{self._layers.__name__} with zoo's {', '.join(sorted(self._corrected))}>"


@dataclasses.dataclass(frozen=True)
class Kit:
    name: str                     # "keras" | "tf_keras"
    keras: types.ModuleType       # the Keras package itself
    TruncatedNormal: type
    VarianceScaling: type
    LocalResponseNormalization: type
    BatchNormalization: type       # slim's batch norm (TF's fused semantics) in this Keras
    AveragePooling2D: type         # TF's average pool (SAME padding left out of the mean) in this Keras
    FullyConnectedConv2D: type     # a convolution whose kernel covers its input, computed as a matmul

    @functools.cached_property
    def layers(self) -> Any:
        """This Keras' layers, `BatchNormalization` and `AveragePooling2D` being the kit's (`Layers`)."""
        return Layers(self.keras.layers, {"BatchNormalization": self.BatchNormalization,
                                          "AveragePooling2D": self.AveragePooling2D})

    @property
    def Model(self) -> type:
        return self.keras.Model

    def l2(self, weight_decay: float) -> Any:
        """`slim.l2_regularizer(wd)` = wd * sum(w**2) / 2, i.e. Keras L2(wd / 2); none at all for 0, as slim."""
        return self.keras.regularizers.L2(weight_decay / 2.0) if weight_decay else None

    def truncated_normal(self, stddev: float) -> Any:
        return self.TruncatedNormal(stddev=stddev)

    def xavier(self) -> Any:
        """slim's default weights initializer for conv2d / fully_connected."""
        return self.VarianceScaling(1.0, "FAN_AVG", uniform=True)

    def constant(self, value: float) -> Any:
        return self.keras.initializers.Constant(value)
