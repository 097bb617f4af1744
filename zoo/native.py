"""The native model class: a functional Keras model that carries its own configuration (as KerasHub's backbones
do), for Keras 3 and for tf_keras from the same builder.

`NativeModel(arch, num_classes, image_size, include_top, pooling, pretrained_cfg, **build_kwargs)` builds the
architecture's network with `zoo.nn.kit(keras)`; `get_config`/`from_config` round-trip it, so
`model.save("m.keras")` and `keras.models.load_model("m.keras")` need no `custom_objects` once zoo is imported.
Layer names are the slim scopes (zoo.checkpoints.mapping), which is all the checkpoint mapping needs.
"""
import functools
import json

from zoo.implementation import SlimNamed
from zoo.nn import KERASES, Kit, keras_class, keras_of, kit
from zoo.registry import check_image_size, get_spec
from zoo.slim_names import SEPARATOR, layer_name, under


def resolve_layer(model, end_point: str, root: str = None):
    """The layer producing slim end point `end_point` ('resnet_v1_50/block3', 'block3', 'conv5/conv5_3',
    'Conv2d_13_pointwise', 'Mixed_6e'): the last layer named by that scope or inside it."""
    root = root or get_spec(model.arch).mapping.root
    relative = end_point[len(root) + 1:] if end_point.startswith(root + "/") else end_point
    name = layer_name(relative)
    found = None
    for layer in model.layers:
        if under(layer.name, name, separator=SEPARATOR):
            found = layer
    if found is None:
        scopes = sorted({l.name.split(SEPARATOR)[0] for l in model.layers if not l.name.startswith("images")})
        raise ValueError(f"No end point {end_point!r} in {model.name}; top-level scopes: {scopes}")
    return found


def _feature_output(k, inputs, outputs, spec, pooling):
    """keras.applications' include_top=False: the last feature map (spec.feature_scope), optionally pooled."""
    if pooling not in (None, "avg", "max"):
        raise ValueError(f"pooling={pooling!r}; choose None, 'avg' or 'max'.")
    whole = k.Model(inputs, outputs)
    x = resolve_layer(whole, spec.feature_scope, root=spec.mapping.root).output
    if pooling and len(x.shape) == 4:
        pool = k.layers.GlobalAveragePooling2D if pooling == "avg" else k.layers.GlobalMaxPooling2D
        x = pool(name=f"{pooling}_pool")(x)
    return x


class NativeModel(SlimNamed):
    """A TF-Slim architecture as a plain functional Keras model (the class of one Keras: `native_class(keras)`).

    Args:
        arch: a registered name (`zoo.list_models()`).
        num_classes: classifier size (default: the published checkpoints'); 0 gives slim's feature output.
        image_size: input resolution (default: the architecture's).
        include_top: False returns the last feature map (`pooling` "avg" | "max" pools it).
        pretrained_cfg: the `weights_manifest.json` entry of the weights it was made for, or None.
        **build_kwargs: the architecture's options (weight_decay, dropout_keep_prob, depth_multiplier, ...).

    Calling it returns the logits only; extra heads (Inception v3's `AuxLogits`) keep their layers and
    weights in the model and are end points (`zoo.features.end_points_model`).
    """
    _extra_heads = False
    _kit: Kit  # the Keras it is built with (set by native_class)

    def __init__(self, arch, num_classes=None, image_size=None, include_top=True, pooling=None,
                 pretrained_cfg=None, name=None, trainable=True, **build_kwargs):
        spec = get_spec(arch)
        num_classes = spec.num_classes if num_classes is None else num_classes
        image_size = check_image_size(spec, image_size or spec.image_size)
        if pooling is not None and include_top:
            raise ValueError("pooling= applies with include_top=False.")
        inputs, outputs = spec.native(self._kit, num_classes=num_classes,
                                      input_shape=(image_size, image_size, spec.channels), **build_kwargs)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        if not include_top:
            outputs = [_feature_output(self._kit, inputs, outputs, spec, pooling)]
        super().__init__(inputs, outputs if len(outputs) > 1 else outputs[0],
                         name=name or spec.mapping.root or arch)
        self.trainable = trainable
        self._extra_heads = len(outputs) > 1
        # Set past Keras' attribute tracking: plain configuration, not layers or weights.
        object.__setattr__(self, "_zoo_config", dict(
            arch=arch, num_classes=num_classes, image_size=image_size, include_top=include_top,
            pooling=pooling, pretrained_cfg=json.loads(json.dumps(pretrained_cfg)), **build_kwargs))

    # -- what the model is ------------------------------------------------------------------------------
    @property
    def arch(self):
        return self._zoo_config["arch"]

    @property
    def image_size(self):
        return self._zoo_config["image_size"]

    @property
    def build_kwargs(self):
        """The architecture options it was built with (what `get_config` carries besides the basics)."""
        basics = ("arch", "num_classes", "image_size", "include_top", "pooling", "pretrained_cfg")
        return {key: v for key, v in self._zoo_config.items() if key not in basics}

    @property
    def pretrained_cfg(self):
        """The manifest entry of the weights this model was made for (timm's pretrained_cfg), or None."""
        return self._zoo_config["pretrained_cfg"]

    @property
    def keras(self):
        return self._kit.name

    def slim_variables(self):
        """{slim_name: variable} through the architecture's mapping."""
        return self.slim_mapping.native_variables(self)

    # -- Keras ------------------------------------------------------------------------------------------
    def call(self, inputs, training=None, mask=None):
        outputs = super().call(inputs, training=training, mask=mask)
        return outputs[0] if self._extra_heads else outputs

    def compute_output_spec(self, *args, **kwargs):  # Keras 3: symbolic calls (keras.Input, Sequential)
        outputs = super().compute_output_spec(*args, **kwargs)
        return outputs[0] if self._extra_heads else outputs

    def compute_output_shape(self, input_shape):
        outputs = super().compute_output_shape(input_shape)
        return outputs[0] if self._extra_heads else outputs

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **json.loads(json.dumps(self._zoo_config))}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@functools.lru_cache(maxsize=None)
def native_class(keras: str = "keras"):
    """The `NativeModel` class of one Keras ("keras" = Keras 3 on any backend, or "tf_keras"), registered as
    `zoo>NativeModel`."""
    k = kit(keras)
    return keras_class(NativeModel, k.Model, _kit=k)


def is_native(model) -> bool:
    try:
        return isinstance(model, native_class(keras_of(model)))
    except TypeError:
        return False



def native_object_values(arch, src, num_classes=None, keras=None) -> dict:
    """{slim_name: array} of a native model's TF2 object checkpoint (train.py's, or `tf1_to_native`'s).

    keras: the Keras it was trained with (their object graphs differ); None tries Keras 3, then tf_keras."""
    import numpy as np
    import tensorflow as tf

    from zoo.checkpoints.io import CheckpointError, CheckpointReader

    reader = src if isinstance(src, CheckpointReader) else CheckpointReader(src)
    if reader.kind != "tf2-object":
        raise CheckpointError(f"{reader.prefix!r} is a {reader.kind} checkpoint, not a native model's "
                              "object-based one; use tf2_to_tf1 or load it with zoo.load_checkpoint.")
    problems = []
    for which in [keras] if keras else KERASES:
        model = native_class(which)(arch, num_classes=num_classes)
        before = [np.array(w) for w in model.get_weights()]
        try:
            status = tf.train.Checkpoint(model=model).read(reader.prefix)
            status.expect_partial().assert_existing_objects_matched()
        except (AssertionError, ValueError, tf.errors.OpError) as e:
            problems.append(f"as {which}: {str(e).strip().splitlines()[0]}")
            continue
        if all(np.array_equal(a, b) for a, b in zip(before, model.get_weights())):
            problems.append(f"as {which}: nothing was restored")
            continue
        return model.read_weights()
    raise CheckpointError(f"{reader.prefix!r} does not fit a native {arch!r} with num_classes="
                          f"{model.get_config()['num_classes']} ({'; '.join(problems)}). Is it another "
                          "architecture's, or trained with another --num-classes?")
