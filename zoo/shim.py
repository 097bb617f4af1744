"""The one shim: any slim net function, unchanged, as a tf_keras Model (the model-mapping guide's pattern).
It is tf_keras whatever `tf.keras` is: `track_tf1_style_variables` exists nowhere else.

`track_tf1_style_variables` makes `tf.compat.v1.get_variable` inside `call` create variables once and
reuse them on every later call, eagerly, in `tf.function` and under `tf.distribute`; slim regularizers
land in `model.losses`; batch-norm moving averages update when called with `training=True`.
"""
import tf_keras
import tf_slim as slim

from zoo.compat import ensure_slim, track_tf1_style_variables
from zoo.registry import get_spec


class SlimShim(tf_keras.Model):
    """Runs `spec.slim_net` under `spec.slim_arg_scope`; variables keep their exact slim names."""

    def __init__(self, arch, num_classes=None, name=None, **kwargs):
        ensure_slim()
        spec = get_spec(arch)
        super().__init__(name=name or arch)
        self.arch = arch
        self.num_classes = spec.num_classes if num_classes is None else num_classes
        self._scope_kwargs, self._net_kwargs = spec.split_kwargs(kwargs)

    @track_tf1_style_variables
    def call(self, inputs, training=None):
        spec = get_spec(self.arch)
        with slim.arg_scope(spec.slim_arg_scope(**self._scope_kwargs)):
            logits, _ = spec.slim_net(inputs, num_classes=self.num_classes,
                                      is_training=bool(training) if training is not None else False,
                                      **self._net_kwargs)
        return logits

    def slim_variables(self):
        """{slim_name: variable}: the shim's variable names are the slim names."""
        return {v.name.split(":")[0]: v for v in self.weights}

    def get_config(self):
        return {"arch": self.arch, "num_classes": self.num_classes, "name": self.name,
                **self._scope_kwargs, **self._net_kwargs}
