"""The legacy baseline: a slim net built in its own TF1 graph and session, run on numpy arrays."""
import os

import numpy as np
import tensorflow as tf
import tf_slim as slim

from zoo.compat import tf1_graph
from zoo.implementation import SlimNamed
from zoo.registry import get_spec
from zoo.spec import ModelSpec


def build_slim(spec: ModelSpec, images, num_classes: int, is_training: bool, **kwargs):
    """The slim net under its arg scope, in the current graph (or the shim's `call`): (logits, end_points) — the
    one build sequence of the slim graph, the shim, `zoo inspect` and the benchmark. `kwargs`: the architecture's
    options, split between the arg scope and the net (`ModelSpec.split_kwargs`)."""
    scope_kwargs, net_kwargs = spec.split_kwargs(kwargs)
    with slim.arg_scope(spec.slim_arg_scope(**scope_kwargs)):
        return spec.slim_net(images, num_classes=num_classes, is_training=is_training, **net_kwargs)


class SlimGraphModel(SlimNamed):
    """The original net in a `tf.compat.v1` graph; `net_fn` and `arg_scope` expose the raw slim code."""

    def __init__(self, arch, num_classes=None, image_size=None, is_training=False, seed=None, pretrained_cfg=None,
                 **kwargs):
        """`seed`: the graph-level seed (`tf.compat.v1.set_random_seed`), so that the same seed draws the same
        initial weights; `pretrained_cfg`: the manifest entry of the weights it is made for; `kwargs`: the
        architecture's options."""
        spec = get_spec(arch)
        self.arch, self.spec, self.pretrained_cfg = arch, spec, pretrained_cfg
        self.num_classes = spec.num_classes if num_classes is None else num_classes
        self.image_size = image_size or spec.image_size
        self.net_fn, self.arg_scope = spec.slim_net, spec.slim_arg_scope
        with tf1_graph() as self.graph:
            if seed is not None:
                tf.compat.v1.set_random_seed(seed)
            self.images = tf.compat.v1.placeholder(
                tf.float32, [None, self.image_size, self.image_size, spec.channels], name="images")
            self.logits, self.end_points = build_slim(spec, self.images, self.num_classes, is_training, **kwargs)
            self.variables = tf.compat.v1.global_variables()
            self.regularization_loss = tf.compat.v1.losses.get_regularization_loss()
            self._saver = tf.compat.v1.train.Saver(self.variables)
            init = tf.compat.v1.global_variables_initializer()
            # Assignment ops built once, so that loading weights never adds to the (finalized) graph.
            self._assign = {}
            for v in self.variables:
                value = tf.compat.v1.placeholder(v.dtype.base_dtype, v.shape, name=f"assign/{v.op.name}")
                self._assign[v.op.name] = (value, v.assign(value, read_value=False))
        self.graph.finalize()
        self.session = tf.compat.v1.Session(graph=self.graph)
        self.session.run(init)

    def __call__(self, images):
        return self.session.run(self.logits, {self.images: np.asarray(images, np.float32)})

    def slim_variables(self):
        return {v.op.name: v for v in self.variables}

    def read(self):
        """{slim_name: array} of every variable, in one Session.run."""
        names = list(self.slim_variables())
        return dict(zip(names, self.session.run(list(self.slim_variables().values()))))

    read_weights = read

    def assign(self, values):
        """Set variables from {slim_name: array}, in one Session.run of the prebuilt assign ops."""
        ops, feed = [], {}
        for name, value in values.items():
            placeholder, op = self._assign[name]
            ops.append(op)
            feed[placeholder] = value
        self.session.run(ops, feed)

    def save(self, prefix, global_step=None):
        """A real TF1 `Saver` checkpoint, as TF1 training code wrote them."""
        os.makedirs(os.path.dirname(os.path.abspath(prefix)), exist_ok=True)
        with self.graph.as_default():
            return self._saver.save(self.session, prefix, global_step=global_step)

    def restore(self, prefix):
        """`Saver.restore`, the TF1 way (no zoo engine involved)."""
        with self.graph.as_default():
            self._saver.restore(self.session, prefix)

    def close(self):
        self.session.close()
