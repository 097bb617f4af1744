"""The benchmark's vocabulary and result files: implementations, modes, the columns of a result row, reading and
writing them (CSV or JSON), and which native a target is held to. No measuring here (zoo.bench) and no tables
(zoo.bench.report): both build on this."""
import csv
import json

from zoo import fs

IMPLS = ("slim_graph", "shim_eager", "shim_function", "native_function", "native_xla", "native_bf16",
         "keras3_tensorflow", "keras3_jax", "keras3_torch", "keras_applications", "keras3_applications",
         "tflite_xnnpack", "tflite_int8", "onnxruntime", "openvino")
# Cells that run an exported file: inference only.
INFERENCE_ONLY = {"tflite_xnnpack": "TFLite", "tflite_int8": "TFLite", "onnxruntime": "the ONNX export",
                  "openvino": "the ONNX export"}
MODES = ("inference", "train")
BUDGET_SKIP = "not run: --budget exhausted"
COLUMNS = ("model", "impl", "mode", "batch", "image_size", "precision", "samples_per_sec", "step_ms_median",
           "step_ms_p10", "step_ms_p90", "first_call_s", "build_s", "mapping_s", "params", "gflops_per_sample",
           "peak_memory_mb", "ratio_to_slim_graph", "ratio_ci_low", "ratio_ci_high", "rounds", "native_speedup",
           "native_speedup_ci_low", "native_speedup_ci_high", "native_speedup_rounds", "top1_agreement",
           "max_probability_difference", "machine", "note")
# The natives on the TensorFlow backend; the faster of the two is "the native" that keras.applications is held to.
TF_NATIVES = ("native_function", "keras3_tensorflow")


def cell_precision(impl, precision):
    """The arithmetic a cell runs in: `precision` (the run's --precision) applies to the natives; native_bf16 and
    tflite_int8 have their own."""
    if impl in ("native_bf16", "tflite_int8"):
        return {"native_bf16": "bfloat16", "tflite_int8": "int8"}[impl]
    return precision if impl.startswith("native") else "float32"


def faster_native(by_impl):
    """The row of the faster float32 TensorFlow-backend native (by median step time) among {impl: row}, or None:
    "the native" every target holds to the slim graph and to keras.applications."""
    natives = [by_impl[i] for i in TF_NATIVES if i in by_impl and by_impl[i]["step_ms_median"] != ""
               and by_impl[i]["precision"] == "float32"]
    return min(natives, key=lambda r: r["step_ms_median"], default=None)


def write_results(rows, path):
    """CSV, or JSON by extension; written beside and renamed, so that a run stopped mid-write keeps the last
    complete file."""
    with fs.replacing(path) as tmp, open(tmp, "w", newline="") as f:
        if path.endswith(".json"):
            json.dump(rows, f, indent=1)
        else:
            writer = csv.DictWriter(f, COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)


def read_results(path):
    """Rows written by `write_results` (CSV or JSON), numbers restored."""
    if path.endswith(".json"):
        with open(path) as f:
            return json.load(f)
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        for key, value in row.items():
            if key not in ("model", "impl", "mode", "precision", "machine", "note") and value not in ("", None):
                row[key] = float(value) if "." in value or "e" in value else int(value)
    return rows
