"""Export native models (Keras 3 on the TensorFlow backend, or tf_keras) to the formats TF2 deploys:
SavedModel (serving signature with preprocessing included, loadable by `tf.saved_model.load` and
`hub.KerasLayer`), feature-vector SavedModels for Hub-style backbones, TFLite (float, or post-training quantized) and
ONNX (for ONNX Runtime and OpenVINO, `zoo.onnx_runtimes`)."""
import contextlib
import os

import tensorflow as tf

from zoo import fs
from zoo.checkpoints.io import sweep
from zoo.lite import run_tflite  # noqa: F401  (lives in zoo.lite; importable from here as before)
from zoo.registry import get_spec


def _native(model):
    from zoo.native import is_native

    if not is_native(model):
        raise TypeError("Export takes a native model made by zoo.create_model(..., impl='native'); the shim and "
                        "slim implementations share its weights — load them into a native model first.")
    if model.keras == "keras":
        import keras

        if keras.backend.backend() != "tensorflow":
            raise ValueError(f"Export writes TensorFlow graphs: run it with KERAS_BACKEND=tensorflow (this "
                             f"process has {keras.backend.backend()!r}); weights move between backends through "
                             "zoo.save_checkpoint / checkpoint=.")
    return get_spec(model.arch)


def check_output(path, overwrite=False):
    """Refuse an existing output unless `overwrite` (checked before any work)."""
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f"{path} already exists; pass --overwrite (overwrite=True) to replace it, or choose "
                              "another output.")
    return path


@contextlib.contextmanager
def _atomic_output(path, overwrite):
    """Yield a temporary path beside `path`; on success it replaces `path` (a SavedModel directory or a file), so
    a failed or killed export never leaves a half-written output or loses the previous one (`zoo.fs`)."""
    check_output(path, overwrite)
    with fs.replacing_item(path, sweep=sweep) as tmp:  # checkpoints' sweep: a directory may hold both
        yield tmp


class _Classifier(tf.Module):
    """uint8 images of any size → preprocessing → model → probabilities (and the top class)."""

    def __init__(self, model, labels_offset):
        super().__init__()
        self.model = model
        self._preprocess, self._offset = model.preprocess, labels_offset  # create_model's, the weights' own

    def _prepare(self, images):
        return tf.map_fn(self._preprocess, images,
                         fn_output_signature=tf.TensorSpec(self.model.inputs[0].shape[1:], tf.float32))

    def probabilities(self, images):
        return tf.nn.softmax(self.model(self._prepare(images), training=False))

    def serve(self, images):
        probabilities = self.probabilities(images)
        return {"probabilities": probabilities,
                "classes": tf.argmax(probabilities, axis=-1, output_type=tf.int32) - self._offset}


def export_saved_model(model, path, labels_offset=None, overwrite=False):
    """A SavedModel of `model` for serving: `serving_default(images: uint8 [N, H, W, C])` →
    {probabilities, classes}; `__call__(images)` → probabilities (what `hub.KerasLayer(path)` calls).
    classes index the 1000 ImageNet classes for 1001-class slim weights (-1: background).
    labels_offset (default: the weights' or 0) is subtracted from `classes` (1 drops slim's background)."""
    spec = _native(model)
    check_output(path, overwrite)
    cfg = getattr(model, "pretrained_cfg", None) or {}
    offset = cfg.get("labels_offset", 0) if labels_offset is None else labels_offset
    module = _Classifier(model, offset)
    signature = tf.TensorSpec([None, None, None, spec.channels], tf.uint8, name="images")
    module.__call__ = tf.function(module.probabilities, input_signature=[signature])
    serve = tf.function(module.serve, input_signature=[signature])
    with _atomic_output(path, overwrite) as tmp:
        tf.saved_model.save(module, tmp, signatures={"serving_default": serve})
    return path


def export_feature_vector(model, path, overwrite=False):
    """A Hub-style image feature-vector SavedModel: `__call__(images float [N, H, W, C] in the model's input
    space, training=False)` → [N, features]. `model` is a backbone (create_model(..., include_top=False,
    pooling="avg")). Load it with `hub.KerasLayer(path, trainable=...)`."""
    _native(model)
    check_output(path, overwrite)
    if len(model.outputs[0].shape) != 2:
        raise ValueError(f"A feature vector is [N, features]; this model gives {tuple(model.outputs[0].shape)}. "
                         "Build it with include_top=False, pooling='avg'.")
    # TF Hub's reusable SavedModel: `__call__(images, training)` and the variable lists that
    # `hub.KerasLayer(trainable=True)` trains, as plain saved attributes (the same for both Kerases).
    module = tf.__internal__.tracking.AutoTrackable()
    module.model = model
    module.variables = list(model.variables)
    module.trainable_variables = list(model.trainable_variables)
    module.regularization_losses = [tf.function(lambda i=i: model.losses[i], input_signature=[])
                                    for i in range(len(model.losses))]
    call = tf.function(lambda images, training=False: model(images, training=training))
    spec = tf.TensorSpec([None, *model.inputs[0].shape[1:]], tf.float32)
    for training in (False, True):  # both behaviours (batch norm, dropout) are traced into the SavedModel
        call.get_concrete_function(spec, training=training)
    module.__call__ = call
    with _atomic_output(path, overwrite) as tmp:
        tf.saved_model.save(module, tmp)
    return path


def export_tflite(model, path, overwrite=False, batch_size=1, quantize=None, io=None, representative=None):
    """TFLite of `model` with softmax on top (as the slim releases' .tflite files):
    input [batch_size, H, W, C] in the model's input space, output probabilities. The batch is fixed
    (shapes are folded into the graph), 1 as in the releases.

    quantize: None (float32), "dynamic" (int8 weights), "float16" (half weights) or "int8" (full integer,
    calibrated on `representative`: float images in the model's input space, by default the digits or the
    photographs through the model's preprocessing, `zoo.quantize`); io: the int8 file's input and output type,
    "float32" (default), or "uint8"/"int8" as Google's quantized releases (`zoo.lite.run_tflite` takes all)."""
    from zoo import quantize as quantization

    _native(model)
    quantization.check_quantization(quantize, io)
    check_output(path, overwrite)
    if quantize == "int8" and representative is None:
        representative = quantization.default_set(model)
    shape = [batch_size, *model.inputs[0].shape[1:]]

    @tf.function(input_signature=[tf.TensorSpec(shape, tf.float32, name="input")])
    def probabilities(images):
        return tf.nn.softmax(model(images, training=False))

    # Frozen here: given Keras 3's variables, the converter keeps them as TFLite resource variables that nothing
    # initializes (garbage outputs); constants are what the releases' .tflite files hold anyway.
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2

    frozen = convert_variables_to_constants_v2(probabilities.get_concrete_function())
    converter = tf.lite.TFLiteConverter.from_concrete_functions([frozen])
    quantization.configure(converter, quantize, io, representative)
    flatbuffer = converter.convert()
    with _atomic_output(path, overwrite) as tmp:
        with open(tmp, "wb") as f:
            f.write(flatbuffer)
    return path


def export_onnx(model, path, overwrite=False, opset=17):
    """ONNX of `model` with softmax on top, as the TFLite export: input `input` [batch, H, W, C] float32 in the
    model's input space (the batch left free), output `probabilities`. Run it with `zoo.onnx_runtimes`.

    Converted by tf2onnx from the same traced function the TFLite export freezes: the one converter for both
    Kerases (Keras 3's own `model.export(format="onnx")` calls tf2onnx too on the TensorFlow backend, and has no
    tf_keras counterpart)."""
    _native(model)
    check_output(path, overwrite)
    try:
        import tf2onnx
    except ImportError:
        raise ValueError("ONNX export needs tf2onnx: pip install 'zoo[onnx]'.") from None
    signature = [tf.TensorSpec([None, *model.inputs[0].shape[1:]], tf.float32, name="input")]

    @tf.function(input_signature=signature)
    def probabilities(images):
        return {"probabilities": tf.nn.softmax(model(images, training=False))}

    with _atomic_output(path, overwrite) as tmp:
        tf2onnx.convert.from_function(probabilities, input_signature=signature, opset=opset, output_path=tmp)
    return path
