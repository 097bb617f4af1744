"""The one layers API every native builder is written against, for both Kerases.

A builder takes a `Kit` and uses what Keras 3 and tf_keras share (`kit.layers.Conv2D`, ...) plus the few
slim-semantics pieces zoo defines once per Keras: slim's L2, TF1's truncated-normal and variance-scaling
initializers, local response normalization, slim's batch norm and TF's average pool. `kit.layers` is Keras' own
namespace with the last two replaced by the kit's, so `k.layers.AveragePooling2D` and `k.AveragePooling2D` are the
same corrected class. So each network exists once, and `kit("keras")` builds it on Keras 3 (any backend) while
`kit("tf_keras")` builds the same network on tf_keras (the migration guide's shim⇄native checks need that one:
`DeterministicRandomTestTool` reaches only TF's stateful random ops).

Per-Keras classes, one mechanism for all of zoo (`zoo.nn.per_keras`): a class both Kerases need is written once
as a Keras-neutral class of logic, and `keras_class(logic, base, **members)` makes it one Keras' class —
`class Name(logic, base)` with that Keras' few differing operations as class attributes, registered as
`zoo>Name` (`register`, the one call of `register_keras_serializable`). A class one Keras alone needs (Keras 3's
batch norm and average pool) is a plain class in that Keras' module. The kit's classes are top-level names of
`zoo.nn.keras3` and `zoo.nn.tf_keras`, each module imported only when its kit is asked for (importing `zoo.nn`
imports no Keras); the classes above the kit (`zoo.native.NativeModel`, NASNet's drop-path layers, the training
warm-up schedule) are made by the same `keras_class` for the Keras a caller chooses at run time, and cached.
Why a factory rather than a module per Keras for those too: their logic lives with its model or trainer, and a
second module per Keras for each would hold three lines of `keras_class` calls each.
"""
from zoo.nn.per_keras import KERASES, KerasBase, Kit, Layers, check_keras, keras_class, keras_of, register

__all__ = ["KERASES", "KerasBase", "Kit", "Layers", "check_keras", "keras_class", "keras_of", "kit", "register"]


def kit(keras: str = "keras") -> Kit:
    """The `Kit` of one Keras: "keras" (Keras 3, whatever `KERAS_BACKEND` says) or "tf_keras"."""
    if check_keras(keras) == "keras":
        from zoo.nn import keras3

        return keras3.KIT
    from zoo.nn import tf_keras

    return tf_keras.KIT
