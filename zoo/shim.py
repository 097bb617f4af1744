"""The one shim: any slim net function, unchanged, as a tf_keras Model (the model-mapping guide's pattern).
It is tf_keras whatever `tf.keras` is: `track_tf1_style_variables` exists nowhere else.

`track_tf1_style_variables` makes `tf.compat.v1.get_variable` inside `call` create variables once and
reuse them on every later call, eagerly, in `tf.function` and under `tf.distribute`; slim regularizers
land in `model.losses`; batch-norm moving averages update when called with `training=True`.
"""
import tensorflow as tf
import tf_keras

from zoo.compat import ensure_slim, track_tf1_style_variables
from zoo.implementation import SlimNamed
from zoo.registry import get_spec
from zoo.slim_graph import build_slim


class SlimShim(SlimNamed, tf_keras.Model):
    """Runs `spec.slim_net` under `spec.slim_arg_scope`; variables keep their exact slim names. With `image_size`
    its variables are created at once (a call on zeros); without, on the first call."""

    def __init__(self, arch, num_classes=None, name=None, image_size=None, pretrained_cfg=None, **kwargs):
        ensure_slim()
        spec = get_spec(arch)
        super().__init__(name=name or arch)
        self.arch = arch
        self.num_classes = spec.num_classes if num_classes is None else num_classes
        self.image_size = image_size or spec.image_size
        self._scope_kwargs, self._net_kwargs = spec.split_kwargs(kwargs)
        object.__setattr__(self, "_zoo_pretrained_cfg", pretrained_cfg)  # plain data: past tf_keras' tracking
        if image_size is not None:
            self(tf.zeros([1, image_size, image_size, spec.channels]))

    @property
    def pretrained_cfg(self):
        """The manifest entry of the weights this model was made for, or None."""
        return self._zoo_pretrained_cfg

    @track_tf1_style_variables
    def call(self, inputs, training=None):
        logits, _ = build_slim(get_spec(self.arch), inputs, self.num_classes,
                               bool(training) if training is not None else False,
                               **self._scope_kwargs, **self._net_kwargs)
        return logits

    def slim_variables(self):
        """{slim_name: variable}: the shim's variable names are the slim names."""
        return {v.name.split(":")[0]: v for v in self.weights}

    def get_config(self):
        return {"arch": self.arch, "num_classes": self.num_classes, "name": self.name,
                **self._scope_kwargs, **self._net_kwargs}
