"""The parity report: the TF1 graph and the migrated Keras model on the same inputs, per output and per layer,
on this process's Keras backend and on any other asked for (each in its own process: one backend per process).

Differences are relative to each reference tensor's scale, max|keras - tf| / max(1, max|tf|): float32 rounding in
another (equally valid) order grows with the activations' magnitude. The first layer past the tolerance, in the
model's order, is where a divergence starts.
"""
from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from zoo.migration.source import run_graph


@dataclasses.dataclass
class ParityReport:
    tolerance: float
    backends: dict  # backend -> {"outputs": [(name, max_abs, rel)], "layers": [...], "first_divergence": str|None}

    @property
    def ok(self) -> bool:
        return all(rel <= self.tolerance for b in self.backends.values() for _, _, rel in b["outputs"])

    def worst(self) -> float:
        return max((rel for b in self.backends.values() for _, _, rel in b["outputs"]), default=0.0)

    def to_dict(self) -> dict:
        return {"tolerance": self.tolerance, "ok": self.ok, "backends": self.backends}

    def __str__(self):
        lines = [f"parity against the TF1 graph (tolerance {self.tolerance:g} of each tensor's scale): "
                 f"{'OK' if self.ok else 'FAILED'}"]
        for backend, b in self.backends.items():
            for name, max_abs, rel in b["outputs"]:
                lines.append(f"  {backend:<10} output {name}: max |diff| {max_abs:.3g}, relative {rel:.3g}")
            worst = max(b["layers"], key=lambda r: r[3], default=None)
            if worst:
                lines.append(f"  {backend:<10} {len(b['layers'])} layers compared; largest relative difference "
                             f"{worst[3]:.3g} at {worst[0]}")
            if b["first_divergence"]:
                lines.append(f"  {backend:<10} first divergence: layer {b['first_divergence']}")
        return "\n".join(lines)


def _compare(reference, actual) -> tuple:
    reference, actual = np.asarray(reference, np.float64), np.asarray(actual, np.float64)
    if reference.shape != actual.shape:
        return float("inf"), float("inf")
    diff = float(np.abs(reference - actual).max()) if reference.size else 0.0
    return diff, diff / max(1.0, float(np.abs(reference).max()) if reference.size else 1.0)


def keras_outputs(model, layer_names, images: dict) -> list:
    """The model's outputs, then each named layer's output, on `images` ({input name: array})."""
    import keras

    outputs = list(model.outputs) + [model.get_layer(n).output for n in layer_names]
    feed = [images[i.name] for i in model.inputs]
    probe = keras.Model(model.inputs[0] if len(feed) == 1 else model.inputs, outputs)
    return [np.asarray(keras.ops.convert_to_numpy(v)) for v in probe(feed[0] if len(feed) == 1 else feed,
                                                                      training=False)]


def _row(reference, actual, output_names, layer_tensors, tolerance) -> dict:
    n = len(output_names)
    outputs = [(name, *_compare(r, a)) for name, r, a in zip(output_names, reference[:n], actual[:n])]
    layers = [(name, tensor, *_compare(r, a))
              for (name, tensor), r, a in zip(layer_tensors.items(), reference[n:], actual[n:])]
    first = next((name for name, _, _, rel in layers if rel > tolerance), None)
    return {"outputs": outputs, "layers": layers, "first_divergence": first}


def check_parity(frozen, program, source, model, images: dict, backends=(), tolerance=1e-4) -> ParityReport:
    """`images`: {input name: array}."""
    import keras

    names = list(program.layer_tensors)
    fetches = list(frozen.outputs) + [program.layer_tensors[n] for n in names]
    reference = run_graph(frozen, images, fetches)
    rows = {keras.backend.backend(): _row(reference, keras_outputs(model, names, images), frozen.outputs,
                                          program.layer_tensors, tolerance)}
    for backend in backends:
        if backend not in rows:
            actual = _in_process_of(backend, source, program.weights, names, images)
            rows[backend] = _row(reference, actual, frozen.outputs, program.layer_tensors, tolerance)
    return ParityReport(tolerance, rows)


def _in_process_of(backend, source, weights, names, images) -> list:
    """Run the generated model on another Keras backend (`python -m zoo.migration.worker`)."""
    if backend not in ("tensorflow", "jax", "torch"):
        raise ValueError(f"backend {backend!r}: choose tensorflow, jax or torch.")
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "model.py"), "w") as f:
            f.write(source)
        np.savez(os.path.join(work, "weights.npz"), **weights)
        np.savez(os.path.join(work, "images.npz"), **images)
        with open(os.path.join(work, "layers.json"), "w") as f:
            json.dump(names, f)
        env = {**os.environ, "KERAS_BACKEND": backend}
        done = subprocess.run([sys.executable, "-m", "zoo.migration.worker", work], env=env, capture_output=True,
                              text=True)
        if done.returncode:
            tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
            raise RuntimeError(f"the {backend} backend could not run the migrated model: {tail}")
        with np.load(os.path.join(work, "out.npz")) as out:
            return [out[f"a{i}"] for i in range(len(out.files))]
