"""ONNX files (`zoo export --format onnx`) under the CPU runtimes users pick instead of TensorFlow: ONNX Runtime and
OpenVINO (`pip install zoo[onnx]`). One call per runtime turns a file into `predict(images) -> outputs`, so the
export's parity report, the tests and the benchmark's cells run a file the same way."""
import os
from typing import Callable, Optional

import numpy as np

RUNTIMES = ("onnxruntime", "openvino")


def _require(module: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise ValueError(f"{module} is not installed: pip install 'zoo[onnx]' (tf2onnx, onnxruntime, "
                         "openvino).") from None


def predictor(path: str, runtime: str = "onnxruntime", threads: Optional[int] = None
              ) -> Callable[[np.ndarray], np.ndarray]:
    """`predict(images float32 [N, H, W, C]) -> first output` for the ONNX file at `path` on `runtime`, on the
    CPU with `threads` (default: every core this process may use).

    OpenVINO runs in float32: on CPUs with bfloat16 or AMX units its CPU plugin otherwise lowers float32 models to
    bfloat16 by default (`INFERENCE_PRECISION_HINT`), which would make its cell a different precision than the
    others'."""
    if runtime not in RUNTIMES:
        raise ValueError(f"runtime {runtime!r} is not an ONNX runtime; choose one of {', '.join(RUNTIMES)}.")
    if not threads:
        threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    if runtime == "onnxruntime":
        ort = _require("onnxruntime")
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda images: session.run(None, {name: np.asarray(images, np.float32)})[0]
    ov = _require("openvino")
    config = {"INFERENCE_PRECISION_HINT": "f32", "PERFORMANCE_HINT": "LATENCY", "INFERENCE_NUM_THREADS": threads}
    compiled = ov.Core().compile_model(path, "CPU", config)
    request = compiled.create_infer_request()  # one request reused: no per-call allocation
    return lambda images: request.infer([np.asarray(images, np.float32)])[0]


def run_onnx(path: str, images: np.ndarray, runtime: str = "onnxruntime", batch: int = 64) -> np.ndarray:
    """The ONNX file's first output on `images`, in batches of `batch`."""
    predict = predictor(path, runtime)
    images = np.asarray(images, np.float32)
    return np.concatenate([np.asarray(predict(images[i:i + batch])) for i in range(0, len(images), batch)])
