"""What is in a checkpoint: keys, shapes, dtypes, parameter count, and which registered model it fits."""
import functools
from typing import Any, Dict, List, Mapping, Tuple

import numpy as np
import tensorflow as tf

from zoo.checkpoints.engine import classify_key
from zoo.checkpoints.io import CheckpointError, CheckpointReader


@functools.lru_cache(maxsize=None)
def slim_signature(arch: str) -> Dict[str, Tuple[int, ...]]:
    """{slim_name: shape} of `arch` at its defaults, from its TF1 graph (built, never run)."""
    from zoo.compat import tf1_graph
    from zoo.registry import get_spec
    from zoo.slim_graph import build_slim

    spec = get_spec(arch)
    with tf1_graph():
        images = tf.compat.v1.placeholder(tf.float32, (1,) + spec.input_shape)
        build_slim(spec, images, spec.num_classes, is_training=False)
        return {v.op.name: tuple(v.shape.as_list()) for v in tf.compat.v1.global_variables()}


def guess_architecture(shapes: Mapping[str, Tuple[int, ...]], top: int = 3) -> List[Dict[str, Any]]:
    """Rank registered models by the share of the checkpoint's model keys they explain by name and shape.

    Only models whose root scope occurs in the checkpoint are built, so this stays fast.
    """
    from zoo.registry import get_spec, list_models

    model_keys = {k: s for k, s in shapes.items() if classify_key(k) == "other"}
    roots = {k.split("/")[0] for k in model_keys}
    ranked: List[Dict[str, Any]] = []
    for arch in list_models():
        if get_spec(arch).mapping.top_scope not in roots:
            continue
        signature = slim_signature(arch)
        by_name = [k for k in model_keys if k in signature]
        by_shape = [k for k in by_name if signature[k] == model_keys[k]]
        ranked.append({"model": arch, "explained": len(by_shape) / max(len(model_keys), 1),
                       "names": len(by_name) / max(len(model_keys), 1),
                       "shape_mismatches": sorted(set(by_name) - set(by_shape)),
                       "model_variables_absent": len(set(signature) - set(model_keys))})
    ranked.sort(key=lambda r: (-r["explained"], -r["names"], r["model_variables_absent"]))
    return ranked[:top]


def verify_checkpoint(reader: Any) -> Dict[str, Any]:
    """Read every tensor (TensorFlow checks each one's crc32c: a truncated or corrupt shard fails) and count
    NaN/inf values. Returns {"tensors_read", "nonfinite": {key: count}, "problems": [one line each]}."""
    nonfinite, problems, read = {}, [], 0
    for key in reader.keys():
        try:
            value = np.asarray(reader.get(key))
        except CheckpointError as e:
            problems.append(str(e).splitlines()[0])
            continue
        read += 1
        if np.issubdtype(value.dtype, np.floating) and not np.isfinite(value).all():
            nonfinite[key] = int(value.size - np.isfinite(value).sum())
    if nonfinite:
        problems.append(f"{sum(nonfinite.values())} NaN/inf values in {len(nonfinite)} tensors (e.g. "
                        f"{next(iter(nonfinite))}): saved by a run that diverged")
    return {"tensors_read": read, "nonfinite": nonfinite, "problems": problems}


def inspect_checkpoint(path: str, verify: bool = False) -> Dict[str, Any]:
    """Keys, shapes, dtypes, categories, parameter count and architecture guesses; `verify` also reads every
    tensor (see `verify_checkpoint`)."""
    reader = CheckpointReader(path)
    entries = [{"key": k, "shape": list(reader.shapes[k]), "dtype": reader.dtypes[k].name,
                "category": classify_key(k)} for k in reader.keys()]
    params = sum(int(np.prod(e["shape"])) for e in entries if e["category"] == "other")
    categories: Dict[str, int] = {}
    for e in entries:
        categories[e["category"]] = categories.get(e["category"], 0) + 1
    return {"prefix": reader.prefix, "kind": reader.kind, "num_keys": len(entries),
            "model_parameters": params, "categories": categories, "keys": entries,
            "guesses": guess_architecture(reader.shapes) if reader.kind != "tf2-object" else [],
            "verify": verify_checkpoint(reader) if verify else None}


def format_inspection(info: Dict[str, Any], show_keys: bool = True) -> str:
    lines = [f"{info['prefix']} ({info['kind']}): {info['num_keys']} keys, "
             f"{info['model_parameters']:,} model parameters"]
    lines += [f"  {n} x {c}" for c, n in sorted(info["categories"].items())]
    if show_keys:
        width = max([len(e["key"]) for e in info["keys"]] + [10])
        lines += [f"  {e['key']:<{width}}  {str(e['shape']):<20} {e['dtype']:<8} {e['category']}"
                  for e in info["keys"]]
    if info["guesses"]:
        for g in info["guesses"]:
            extra = f", shapes differ at {g['shape_mismatches'][:3]}" if g["shape_mismatches"] else ""
            lines.append(f"  fits {g['model']}: {100 * g['explained']:.1f}% of its model keys by name and "
                         f"shape{extra}")
    elif info["kind"] == "tf2-object":
        lines.append("  object-based checkpoint of a Keras model: no slim names to match; convert it with "
                     "`python -m zoo convert --to tf1 --model NAME`")
    else:
        lines.append("  fits no registered model (no known root scope)")
    check = info.get("verify")
    if check is None:
        lines.append("  (names and shapes only: --verify reads every tensor and checks checksums and NaN/inf)")
    elif not check["problems"]:
        lines.append(f"  verified: all {check['tensors_read']} tensors read, checksums match, no NaN/inf")
    else:
        lines += [f"  PROBLEM: {p}" for p in check["problems"]]
    return "\n".join(lines)
