"""TFLite files: one interpreter (LiteRT's `ai_edge_litert`, the runtime that replaces `tf.lite.Interpreter`, where
installed — `pip install zoo[litert]` — TensorFlow's otherwise), running a file on images whatever its I/O types,
and a file's weight inventory in slim names (what Google's quantized releases are checked against)."""
import dataclasses
import warnings
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np


def interpreter_class() -> Any:
    """LiteRT's Interpreter when `ai_edge_litert` is importable, else TensorFlow's (being retired in its favour)."""
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        Interpreter = tf.lite.Interpreter
    return Interpreter


def interpreter(path: str, default_delegates: bool = True, **options: Any) -> Any:
    """An interpreter of the TFLite file at `path` (options: num_threads, ...), tensors not yet allocated.
    default_delegates=False runs TFLite's own kernels only (no XNNPACK): what the profile compares against."""
    import sys

    cls = interpreter_class()
    if not default_delegates:  # both interpreters' modules define the same OpResolverType
        resolvers = sys.modules[cls.__module__].OpResolverType
        options["experimental_op_resolver_type"] = resolvers.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        return cls(model_path=path, **options)


def _quantize(x: np.ndarray, detail: Mapping[str, Any]) -> np.ndarray:
    scale, zero_point = detail["quantization"]
    if not scale:  # float input
        return x.astype(detail["dtype"])
    info = np.iinfo(detail["dtype"])
    return np.clip(np.round(x / scale + zero_point), info.min, info.max).astype(detail["dtype"])


def _dequantize(q: np.ndarray, detail: Mapping[str, Any]) -> np.ndarray:
    scale, zero_point = detail["quantization"]
    return (q.astype(np.float32) - zero_point) * scale if scale else q.astype(np.float32)


def run_tflite(path: str, images: Any) -> np.ndarray:
    """Run a TFLite file on a batch of images in the model's float input space, one at a time (the files have
    batch 1), as float32 outputs: integer inputs are quantized and integer outputs dequantized with the file's
    own scale and zero point, so float, int8 and uint8 I/O (Google's quantized releases) take the same call."""
    runner = interpreter(path)
    runner.allocate_tensors()
    inp, out = runner.get_input_details()[0], runner.get_output_details()[0]
    results = []
    for image in np.asarray(images, np.float32):
        runner.set_tensor(inp["index"], _quantize(image[None], inp))
        runner.invoke()
        results.append(_dequantize(runner.get_tensor(out["index"])[0], out))
    return np.stack(results)


def constant_tensors(path: str) -> Dict[str, Tuple[int, ...]]:
    """{name: shape} of the file's constants: the tensors its operators read that no operator writes and that are
    not the model's inputs (weights, biases, and operands such as reshape targets)."""
    runner = interpreter(path)
    ops = runner._get_ops_details()  # both interpreters' op table (no public equivalent)
    written = {i for op in ops for i in op["outputs"]}
    read = {i for op in ops for i in op["inputs"] if i >= 0}
    inputs = {d["index"] for d in runner.get_input_details()}
    details = {t["index"]: t for t in runner.get_tensor_details()}
    return {details[i]["name"]: tuple(int(d) for d in details[i]["shape"]) for i in sorted(read - written - inputs)}


# How the TF1 converter names a slim layer's constants after quantization-aware training and batch-norm folding.
KERNEL_SUFFIX = "/weights_quant/FakeQuantWithMinMaxVars"  # the kernel, behind its fake-quantization node
FOLDED_BIAS_SUFFIXES = ("/Conv2D_Fold_bias", "/depthwise_Fold_bias")  # batch norm folded into the convolution
BIAS_SUFFIXES = ("/Conv2D_bias", "/depthwise_bias")  # a layer's own `biases` (no normalizer)
BATCH_NORM = ("beta", "moving_mean", "moving_variance")  # what a folded bias stands for (gamma too, if scaled)


@dataclasses.dataclass
class Inventory:
    """A TFLite file's constants against a slim variable set.

    explained: {tensor: [slim names it stands for]}; operands: constants that are no weights (scalars, reshape
    targets); unexplained: tensors no slim variable accounts for; absent: slim variables no tensor stands for."""

    explained: Dict[str, List[str]]
    operands: List[str]
    unexplained: List[str]
    absent: List[str]


def _kernel(scope: str, shape: Tuple[int, ...], slim: Mapping[str, Tuple[int, ...]]) -> List[str]:
    """TFLite stores convolution kernels OHWI (slim: HWIO) and depthwise ones 1HWC (slim: HWC1)."""
    if len(shape) != 4:
        return []
    o, h, w, i = shape
    if slim.get(f"{scope}/weights") == (h, w, i, o):
        return [f"{scope}/weights"]
    if o == 1 and slim.get(f"{scope}/depthwise_weights") == (h, w, i, 1):
        return [f"{scope}/depthwise_weights"]
    return []


def _folded_bias(scope: str, shape: Tuple[int, ...], slim: Mapping[str, Tuple[int, ...]]) -> List[str]:
    """A folded bias stands for the layer's batch norm (its beta, statistics and gamma if any); the layer must have
    no `biases` of its own."""
    names = [f"{scope}/BatchNorm/{p}" for p in ("gamma",) + BATCH_NORM if f"{scope}/BatchNorm/{p}" in slim]
    complete = all(f"{scope}/BatchNorm/{p}" in slim for p in BATCH_NORM) and f"{scope}/biases" not in slim
    return names if complete and all(slim[n] == shape for n in names) else []


def account_for(constants: Mapping[str, Tuple[int, ...]], slim: Mapping[str, Tuple[int, ...]]) -> Inventory:
    """Explain every constant of a TFLite file converted from a slim graph by `slim` ({slim name: shape}), and name
    the slim variables none of them stands for."""
    explained: Dict[str, List[str]] = {}
    operands, unexplained = [], []
    for name, shape in constants.items():
        if name.endswith(KERNEL_SUFFIX):
            found = _kernel(name[: -len(KERNEL_SUFFIX)], shape, slim)
        elif name.endswith(FOLDED_BIAS_SUFFIXES):
            found = _folded_bias(name.rsplit("/", 1)[0], shape, slim)
        elif name.endswith(BIAS_SUFFIXES):
            scope = name.rsplit("/", 1)[0]
            found = [f"{scope}/biases"] if slim.get(f"{scope}/biases") == shape else []
        elif len(shape) == 0 or (name.endswith("_shape") and len(shape) == 1):
            operands.append(name)  # a scalar operand (hard sigmoid's 3 and 1/6) or a reshape's target shape
            continue
        else:
            found = []
        if found:
            explained[name] = found
        else:
            unexplained.append(name)
    covered = {n for names in explained.values() for n in names}
    return Inventory(explained, operands, unexplained, sorted(set(slim) - covered))


def _dequantized(runner: Any, detail: Mapping[str, Any]) -> np.ndarray:
    """A constant tensor's float value: its integers through the file's scale(s) and zero point(s), per channel
    along `quantized_dimension` where the file quantized per channel."""
    value = runner.get_tensor(detail["index"])
    q = detail.get("quantization_parameters") or {}
    scales, zero_points = np.asarray(q.get("scales", [])), np.asarray(q.get("zero_points", []))
    if not scales.size:
        return value.astype(np.float32)
    shape = [1] * value.ndim
    if scales.size > 1:
        shape[q["quantized_dimension"]] = scales.size
    return (value.astype(np.float32) - zero_points.reshape(shape)) * scales.reshape(shape).astype(np.float32)


def release_weights(path: str, slim: Mapping[str, Tuple[int, ...]], epsilon: float = 1e-3) -> Dict[str, np.ndarray]:
    """{slim name: float value} from a quantized release converted from a slim graph (`account_for`'s mapping):
    kernels dequantized and brought back to slim's HWIO / HWC1 layouts, biases dequantized, and each folded batch
    norm made the identity plus the folded bias (gamma 1, mean 0, variance 1 - epsilon, beta the bias: the
    kernel already carries gamma / sqrt(variance + epsilon)). A float model of the architecture given these
    weights computes the release's network with float activations: a float baseline with real weights to fine-tune
    or to quantize again. `epsilon` is the architecture's batch-norm epsilon (slim's MobileNets: 1e-3)."""
    runner = interpreter(path)
    runner.allocate_tensors()
    details = {d["name"]: d for d in runner.get_tensor_details()}
    inventory = account_for(constant_tensors(path), slim)
    if inventory.unexplained or inventory.absent:
        raise ValueError(f"{path} is not this architecture's release: {len(inventory.unexplained)} tensors "
                         f"unexplained (e.g. {inventory.unexplained[:2]}), {len(inventory.absent)} variables "
                         f"without a tensor (e.g. {inventory.absent[:2]}).")
    weights: Dict[str, np.ndarray] = {}
    for tensor, names in inventory.explained.items():
        value = _dequantized(runner, details[tensor])
        if tensor.endswith(KERNEL_SUFFIX):
            weights[names[0]] = value.transpose(1, 2, 3, 0)  # OHWI -> HWIO, 1HWC -> HWC1
        elif tensor.endswith(FOLDED_BIAS_SUFFIXES):
            for name in names:
                weights[name] = {"gamma": np.ones_like(value), "beta": value, "moving_mean": np.zeros_like(value),
                                 "moving_variance": np.full_like(value, 1.0 - epsilon)}[name.rsplit("/", 1)[1]]
        else:
            weights[names[0]] = value
    return weights
