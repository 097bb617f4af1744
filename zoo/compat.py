"""TensorFlow 2 + tf_keras + tf-slim glue, in one place, changing nothing global at import.

Why one module: the shim (`track_tf1_style_variables`) and `DeterministicRandomTestTool` exist only in
the `tf_keras` package (imported from there directly: `tf.keras` stays whatever the user has, Keras 3 by
default, and `TF_USE_LEGACY_KERAS` is never set); tf-slim 1.1.0 needs five fixes to run on TF 2.21, applied by
`ensure_slim()` on first use of slim or the shim (never at `import zoo`); and building a slim net in a TF1
graph must not break eager Keras models in the same process (`tf1_graph`). Tested in tests/test_compat.py.
"""
import contextlib
import importlib
import sys
import warnings

import tensorflow as tf
from tf_keras.api._v1.keras import utils as _tf_keras_v1_utils

# The model-mapping guide's two tools live only in tf_keras; taken from there directly, so that nothing here
# depends on what `tf.keras` resolves to (Keras 3 by default on TF >= 2.16; we never change that).
track_tf1_style_variables = _tf_keras_v1_utils.track_tf1_style_variables
DeterministicRandomTestTool = _tf_keras_v1_utils.DeterministicRandomTestTool


def v1_layers():
    """`tf.compat.v1.layers` (conv2d, dense, batch_normalization, conv2d_transpose, ...) as TF >= 2.16 gives it only
    under TF_USE_LEGACY_KERAS=1, which zoo never sets: tf_keras' own copy, so that users' v1.layers code builds
    (and `zoo.migrate` migrates it) with `tf.keras` left as Keras 3."""
    ensure_slim()  # the legacy layers' batch norm needs the tf_keras.legacy_tf_layers alias
    from tf_keras.api._v1.keras.__internal__.legacy import layers

    return layers


def _alias_legacy_tf_layers():
    """tf.python.layers.normalization lazily imports `tf_keras.legacy_tf_layers`, which tf_keras 2.21
    only ships as `tf_keras.src.legacy_tf_layers`; without the alias `slim.batch_norm` fails."""
    src = importlib.import_module("tf_keras.src.legacy_tf_layers")
    sys.modules.setdefault("tf_keras.legacy_tf_layers", src)
    for sub in ("base", "convolutional", "core", "normalization", "pooling", "variable_scope_shim"):
        mod = importlib.import_module(f"tf_keras.src.legacy_tf_layers.{sub}")
        sys.modules.setdefault(f"tf_keras.legacy_tf_layers.{sub}", mod)


def _restore_ops_tensor():
    """tf-slim (utils.constant_value -> smart_cond in batch_norm/dropout, optimizers, learning) tests
    `isinstance(x, tensorflow.python.framework.ops.Tensor)`; TF 2.21 dropped that alias of tf.Tensor."""
    from tensorflow.python.framework import ops

    if not hasattr(ops, "Tensor"):
        ops.Tensor = tf.Tensor


def _contains(collection, var):
    # TF2 variables define `__eq__` element-wise, so `var in list` is wrong (or raises); compare identity.
    return any(v is var for v in collection)


def _patch_tf_slim():
    import tf_slim  # noqa: F401
    from tf_slim.layers import layers as slim_layers
    from tf_slim.layers import utils as slim_utils
    from tf_slim.ops import variables as slim_variables
    from tensorflow.python.framework import ops
    from tensorflow.python.ops import variables as tf_variables

    if getattr(slim_utils, "_zoo_patched", False):
        return

    original_collect = slim_utils.collect_named_outputs

    def collect_named_outputs(collections, alias, outputs):
        # Eagerly there is no per-model graph: adding to collections would grow the global default
        # graph's collections on every call (and `alias` arrives as None). Graphs and tf.function
        # graphs keep the original behaviour.
        if tf.executing_eagerly():
            return outputs
        return original_collect(collections, alias, outputs)

    def add_variable_to_collections(variable, collections_set, collections_name):
        if tf.executing_eagerly():  # an eager shim's variables: not the global graph's (they would leak there)
            return
        collections = slim_utils.get_variable_collections(collections_set, collections_name) or []
        variables_list = [variable]
        if isinstance(variable, tf_variables.PartitionedVariable):
            variables_list = list(variable)
        for collection in collections:
            for var in variables_list:
                if not _contains(ops.get_collection(collection), var):
                    ops.add_to_collection(collection, var)

    def add_model_variable(var):
        if tf.executing_eagerly():
            return
        if not _contains(ops.get_collection(ops.GraphKeys.MODEL_VARIABLES), var):
            ops.add_to_collection(ops.GraphKeys.MODEL_VARIABLES, var)

    slim_utils.collect_named_outputs = collect_named_outputs
    slim_layers._add_variable_to_collections = add_variable_to_collections
    slim_variables.add_model_variable = add_model_variable
    tf_slim.add_model_variable = add_model_variable
    slim_utils._zoo_patched = True


def _layer_classes():
    from tf_keras.src.engine import base_layer

    seen, stack = set(), [base_layer.Layer]
    while stack:
        cls = stack.pop()
        if cls not in seen:
            seen.add(cls)
            stack.extend(cls.__subclasses__())
    return seen


@contextlib.contextmanager
def tf1_graph(graph=None):
    """`graph.as_default()` for building slim nets in a TF1 graph, without breaking eager Keras models.

    tf_keras picks v1 or v2 layer base classes by rewriting `__bases__` of the layer classes process-wide
    whenever a layer is made in graph mode (utils/version_utils.swap_class); slim's batch_norm makes one,
    after which every existing eager model with that layer type fails ("Your Layer or Model is in an
    invalid state"). The graph's ops are built once, so restoring the bases on exit is safe.

    Inside, tensor equality is TF1's (`tf.compat.v1.disable_tensor_equality`): in a graph `==` on a variable is
    identity either way, but with TF2's setting every hash and `==` first asks `executing_eagerly_outside_functions`,
    and tf_keras's legacy layers compare each new weight against every variable of the graph — quadratic: 35 of the
    51 s NASNet CIFAR's slim graph took to build.
    """
    ensure_slim()
    graph = tf.Graph() if graph is None else graph
    bases = {cls: cls.__bases__ for cls in _layer_classes()}
    equality = tf.Tensor._USE_EQUALITY  # no public getter; `enable_/disable_tensor_equality` set it
    try:
        tf.compat.v1.disable_tensor_equality()
        with graph.as_default():
            yield graph
    finally:
        if equality:
            tf.compat.v1.enable_tensor_equality()
        for cls, original in bases.items():
            if cls.__bases__ != original:
                cls.__bases__ = original


_slim_ready = False


def ensure_slim():
    """Apply the tf-slim fixes (idempotent): called by the shim, the slim graph and `tf1_graph`."""
    global _slim_ready
    if _slim_ready:
        return
    _alias_legacy_tf_layers()
    _restore_ops_tensor()
    _patch_tf_slim()
    # tf-slim calls TF's legacy layers internally; their deprecation notices are not the user's to act on.
    warnings.filterwarnings("ignore", message=r"`(tf\.layers\.\w+|layer\.apply)` is deprecated",
                            category=UserWarning)
    _slim_ready = True
