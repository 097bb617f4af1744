"""Post-training quantization of the TFLite export (`zoo export --format tflite --quantize dynamic|int8|float16`):
the converter's settings per mode, a representative dataset drawn through the model's own preprocessing, and the
drift an exported file (TFLite, or ONNX on its runtimes) shows against the float model."""
import os
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

QUANTIZATIONS = ("dynamic", "int8", "float16")
IO_TYPES = ("float32", "uint8", "int8")
PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")  # scikit-image's photographs: the RGB default
CALIBRATION_LIMIT = 256  # representative images at most (the converter calibrates on each)


def check_quantization(quantize: Optional[str], io: Optional[str] = None) -> None:
    """One clear error for a mode or I/O type the export does not know, or integer I/O without int8."""
    if quantize is not None and quantize not in QUANTIZATIONS:
        raise ValueError(f"--quantize {quantize!r} is not a quantization mode; choose one of "
                         f"{', '.join(QUANTIZATIONS)}.")
    if io is not None and io not in IO_TYPES:
        raise ValueError(f"--io {io!r} is not an I/O type; choose one of {', '.join(IO_TYPES)}.")
    if io not in (None, "float32") and quantize != "int8":
        raise ValueError(f"--io {io} needs full-integer quantization: add --quantize int8 (other modes keep float "
                         "input and output).")


def configure(converter: Any, quantize: Optional[str], io: Optional[str], representative: Any) -> None:
    """Set a TFLiteConverter for `quantize`: dynamic (int8 weights, float activations), float16 (half weights),
    int8 (weights and activations int8, calibrated on `representative`: float images in the model's input
    space; input/output `io`: float32, or uint8/int8 as Google's quantized releases)."""
    import tensorflow as tf

    check_quantization(quantize, io)
    if quantize is None:
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantize == "int8":
        images = np.asarray(representative, np.float32)

        def dataset():
            for image in images:
                yield [image[None]]

        converter.representative_dataset = dataset
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        dtype = {"float32": tf.float32, "uint8": tf.uint8, "int8": tf.int8}[io or "float32"]
        converter.inference_input_type = converter.inference_output_type = dtype


def preprocessed(model: Any, images: Sequence[Any]) -> np.ndarray:
    """uint8 (or [0, 255] float) HWC images through the model's own preprocessing, [N, H, W, C] float32."""
    return np.stack([np.asarray(model.preprocess(image)) for image in images]).astype(np.float32)


def default_images(channels: int) -> List[np.ndarray]:
    """The default representative set: the digits' training split (1-channel models), else the photographs."""
    if channels == 1:
        from zoo.data.datasets import digits_arrays

        return list(digits_arrays("train")[0][:CALIBRATION_LIMIT])
    from zoo.images import load_image

    return [load_image(f"skimage:{name}", channels) for name in PHOTOS]


def default_set(model: Any) -> np.ndarray:
    """The default representative set in the model's input space: `default_images` through its preprocessing
    (what int8 is calibrated on, and what drift is reported on, when no images are given)."""
    return preprocessed(model, default_images(model.inputs[0].shape[-1]))


def representative_images(source: str, channels: int) -> List[np.ndarray]:
    """At most CALIBRATION_LIMIT images of `source`, decoded with the model's channels: a directory of image
    files, or a zoo TFRecord dataset (`zoo make-tfrecords`: its train split, else its first)."""
    if not os.path.exists(os.path.join(source, "info.json")):
        from zoo.images import image_files, load_image

        return [load_image(path, channels) for path in image_files(source)[:CALIBRATION_LIMIT]]
    import tensorflow as tf

    from zoo.data.tfrecords import read_info, tfrecord_images

    _, splits = read_info(source)
    split = "train" if "train" in splits else sorted(splits)[0]
    images = [image for image, _ in tfrecord_images(source, split).take(CALIBRATION_LIMIT)]
    return [(tf.image.rgb_to_grayscale(image) if channels == 1 else image).numpy() for image in images]


def drift(model: Any, path: str, images: np.ndarray, labels: Optional[np.ndarray] = None,
          runtime: str = "onnxruntime") -> Dict[str, Any]:
    """The exported file at `path` (.tflite, or .onnx run on `runtime`) against the float Keras model on `images`
    (model input space): top-1 agreement, the largest probability difference, and with `labels` both top-1
    accuracies."""
    import tensorflow as tf

    expected = np.concatenate([tf.nn.softmax(model(images[i:i + 64], training=False)).numpy()
                               for i in range(0, len(images), 64)])
    if path.endswith(".onnx"):
        from zoo.onnx_runtimes import run_onnx

        got = run_onnx(path, images, runtime)
    else:
        from zoo.lite import run_tflite

        got = run_tflite(path, images)
    return compare(expected, got, labels)


def compare(expected: np.ndarray, got: np.ndarray, labels: Optional[np.ndarray] = None) -> Dict[str, Any]:
    """Probabilities of a deployed file (`got`) against the float model's (`expected`): top-1 agreement, the
    largest probability difference, and with `labels` both top-1 accuracies."""
    report = {"images": len(expected), "top1_agreement": float(np.mean(expected.argmax(-1) == got.argmax(-1))),
              "max_probability_difference": float(np.abs(expected - got).max())}
    if labels is not None:
        report.update(float_top1=float(np.mean(expected.argmax(-1) == labels)),
                      exported_top1=float(np.mean(got.argmax(-1) == labels)))
    return report


def format_drift(report: Dict[str, Any], what: str, runtime: str = "TFLite") -> str:
    line = (f"{runtime} against the float model on {report['images']} {what}: top-1 agreement "
            f"{100 * report['top1_agreement']:.1f}%, max |probability difference| "
            f"{report['max_probability_difference']:.4f}")
    if "float_top1" in report:
        line += f"; top-1 float {100 * report['float_top1']:.2f}% vs {runtime} {100 * report['exported_top1']:.2f}%"
    return line
