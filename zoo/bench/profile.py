"""Where a cell's step time goes, per op type: `python -m zoo.bench.profile lenet --mode train`.

The benchmark (zoo.bench) says how much faster or slower each path is; this says why. It builds the benchmark's own
steps (zoo.bench.worker.prepare: the slim graph's `Session.run`, the shim's and natives' `tf.function`, the Keras 3
native's `predict_on_batch` / `train_on_batch`) and runs them under TensorFlow's profiler, whose host tracer times
every kernel the executor runs, grappler's fusions included, the same way for all of them. Beside the kernel time
per op type it reports the part of a step in which no kernel runs: the fixed cost of the call itself, which is what
separates paths that run the same kernels. The TFLite export is listed by the ops that XNNPACK leaves to TFLite's
own kernels, and timed with and without XNNPACK.
"""
import argparse
import collections
import glob
import os
import re
import statistics
import tempfile
import time

import numpy as np
import tensorflow as tf


# The benchmark's cells that run on TensorFlow's executor, which the host tracer times kernel by kernel
# (keras.applications' counterparts exist for some architectures only).
TRACED_CELLS = ("slim_graph", "shim_function", "native_function", "keras3_tensorflow", "keras_applications",
                "keras3_applications")


def cell_profile(model, impl, mode="inference", batch=8, image_size=None, steps=5):
    """Trace the benchmark's own step of one cell (zoo.bench.worker.prepare, random weights):
    ({op type: kernel ms per step, kernels that run side by side each counted}, {"wall": untraced ms per step,
    "traced": traced ms per step, "busy": traced ms per step in which some kernel runs, "idle": traced minus
    busy}). Idle is what a step pays outside the kernels: Python, the call into the graph, the executor's
    scheduling between kernels, and the tracer's own cost (which is why the untraced wall is given too)."""
    from zoo.bench import _known_skip
    from zoo.bench.worker import prepare

    if impl not in TRACED_CELLS:
        raise ValueError(f"impl={impl!r}: the profiler traces {list(TRACED_CELLS)}")
    args = {"model": model, "impl": impl, "mode": mode, "batch_size": batch, "image_size": image_size or 0,
            "precision": "float32", "warmup": 2}
    skip = _known_skip(args)  # the benchmark's own answer for cells that cannot run
    if skip:
        raise ValueError(f"impl={impl!r}: {skip['skipped']}")
    if impl.startswith("keras3_"):
        _check_keras_backend(impl)
    step, _ = prepare(args)
    walls = _walls(step, steps)
    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        traced_walls = _walls(step, steps)
        tf.profiler.experimental.stop()
        ops, busy_ms = _kernel_times(_read_xspace(logdir))
    traced, busy = sum(traced_walls) / steps, busy_ms / steps
    return ({op: ms / steps for op, ms in ops.items()},
            {"wall": statistics.median(walls), "traced": traced, "busy": busy, "idle": traced - busy})


def _check_keras_backend(impl):
    import keras

    if keras.backend.backend() != "tensorflow":
        raise ValueError(f"impl={impl!r} traces Keras 3 on TensorFlow: run it with "
                         f"KERAS_BACKEND=tensorflow (this process has {keras.backend.backend()!r})")


def _walls(step, steps):
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        step()
        times.append(1e3 * (time.perf_counter() - start))
    return times


def _read_xspace(logdir):
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    paths = glob.glob(os.path.join(logdir, "plugins", "profile", "*", "*.xplane.pb"))
    if len(paths) != 1:
        raise RuntimeError(f"TensorFlow's profiler wrote {len(paths)} traces under {logdir}, not one")
    [path] = paths
    space = xplane_pb2.XSpace()
    with open(path, "rb") as f:
        space.ParseFromString(f.read())
    return space


def _kernel_times(space):
    """({op type: total kernel ms}, ms in which at least one kernel runs) from the host plane of a trace. The
    executor names each kernel's event 'node name:op type' (grappler's fused kernels under their own types)."""
    ops, spans = collections.Counter(), []
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        for line in plane.lines:
            for event in line.events:
                op = _kernel_op_type(plane.event_metadata[event.metadata_id].name)
                if op is None:
                    continue
                start = line.timestamp_ns * 1000 + event.offset_ps  # integers: exact picoseconds
                ops[op] += event.duration_ps / 1e9
                spans.append((start, start + event.duration_ps))
    busy, end = 0.0, float("-inf")
    for start, stop in sorted(spans):  # the union of the kernels' intervals, over all threads
        if stop > end:
            busy += stop - max(start, end)
            end = stop
    return dict(ops), busy / 1e9


_KERNEL = re.compile(r"^[^:#\s]+:(_?[A-Z][A-Za-z0-9_>]*)$")  # 'node name:OpType' (TF's op-name grammar)
# Ops whose event wraps other kernels' events (a function call not inlined, control flow): not kernels themselves.
_CALLS = re.compile(r"^(Stateful)?PartitionedCall$|^(Stateless)?(While|If|Case)$")


def _kernel_op_type(name):
    """'resnet/conv1/Conv2D:_FusedConv2D' -> '_FusedConv2D'; None for the tracer's other events and calls."""
    match = _KERNEL.match(name)
    return match.group(1) if match and not _CALLS.match(match.group(1)) else None


def _images(model, batch, image_size):
    """(input size, a fixed random batch in the model's input range [-1, 1])."""
    import zoo

    spec = zoo.get_spec(model)
    size = image_size or spec.image_size
    return size, np.random.RandomState(0).uniform(-1, 1, (batch, size, size, spec.channels)).astype(np.float32)


def tflite_profile(model, batch=8, image_size=None, runs=5):
    """({op: count} of the export, {op: count} left to TFLite's kernels by XNNPACK with its partition count,
    {"xnnpack" | "reference": ms per step})."""
    import zoo
    from zoo import lite
    from zoo.export import export_tflite

    size, images = _images(model, batch, image_size)
    native = zoo.create_model(model, image_size=size, keras="tf_keras")
    with tempfile.TemporaryDirectory() as tmp:
        path = export_tflite(native, os.path.join(tmp, "model.tflite"), batch_size=batch)
        ops = collections.Counter(op["op_name"] for op in lite.interpreter(path)._get_ops_details())
        interpreters = {"xnnpack": lite.interpreter(path, num_threads=os.cpu_count()),
                        "reference": lite.interpreter(path, default_delegates=False, num_threads=os.cpu_count())}
        for runner in interpreters.values():
            runner.allocate_tensors()  # each holds the file (read or memory-mapped) from here on
    times = {}
    for name, interpreter in interpreters.items():
        index = interpreter.get_input_details()[0]["index"]
        steps = []
        for _ in range(runs + 1):
            interpreter.set_tensor(index, images)
            start = time.perf_counter()
            interpreter.invoke()
            steps.append(time.perf_counter() - start)
        times[name] = 1e3 * statistics.median(steps[1:])
    return dict(ops), _left_by_delegate(interpreters["xnnpack"]._get_ops_details()), times


def _left_by_delegate(nodes):
    """{op: count} of the nodes no delegate partition covers, and {"partitions": n}. The interpreter lists the
    model's nodes and then one DELEGATE node per partition; a partition holds exactly the nodes found walking back
    from its outputs to its inputs."""
    producer = {t: i for i, node in enumerate(nodes) if node["op_name"] != "DELEGATE" for t in node["outputs"]}
    partitions = [node for node in nodes if node["op_name"] == "DELEGATE"]
    covered = set()
    for partition in partitions:
        stop, stack = set(partition["inputs"]), list(partition["outputs"])
        while stack:
            tensor = stack.pop()
            if tensor in stop or tensor not in producer or producer[tensor] in covered:
                continue
            covered.add(producer[tensor])
            stack.extend(nodes[producer[tensor]]["inputs"])
    left = collections.Counter(node["op_name"] for i, node in enumerate(nodes)
                               if node["op_name"] != "DELEGATE" and i not in covered)
    return {"partitions": len(partitions), **left}


def format_cell_profiles(profiles, top=12):
    """A markdown table, a column per cell: op types by their largest time, then the step's totals."""
    cells = list(profiles)
    ops = sorted(set().union(*(p[0] for p in profiles.values())),
                 key=lambda op: -max(profiles[c][0].get(op, 0.0) for c in cells))
    lines = ["| op type (kernel ms per step) | " + " | ".join(cells) + " |", "|---" * (len(cells) + 1) + "|"]

    def row(label, values):
        lines.append(f"| {label} | " + " | ".join(f"{v:.2f}" for v in values) + " |")

    for op in ops[:top]:
        row(op, [profiles[c][0].get(op, 0.0) for c in cells])
    rest = ops[top:]
    row(f"{len(rest)} other op types", [sum(profiles[c][0].get(op, 0.0) for op in rest) for c in cells])
    row("kernel time, all ops (side by side ones summed)", [sum(profiles[c][0].values()) for c in cells])
    row("traced step: wall", [profiles[c][1]["traced"] for c in cells])
    row("traced step: some kernel running", [profiles[c][1]["busy"] for c in cells])
    row("traced step: no kernel running", [profiles[c][1]["idle"] for c in cells])
    row("untraced step: wall (median)", [profiles[c][1]["wall"] for c in cells])
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m zoo.bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="registered model names (zoo.list_models())")
    parser.add_argument("--mode", default="inference", choices=("inference", "train"))
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--steps", type=int, default=5, help="steps timed untraced, then traced")
    parser.add_argument("--impls", default=",".join(TRACED_CELLS[:3]),
                        help=f"the cells to trace, side by side: any of {','.join(TRACED_CELLS)}")
    parser.add_argument("--tflite", action="store_true",
                        help="also list the TFLite export's ops XNNPACK leaves to TFLite's kernels (inference)")
    args = parser.parse_args(argv)
    import zoo

    try:
        for model in args.models:
            zoo.get_spec(model)  # an unknown name: one line with the close matches
    except ValueError as e:
        parser.error(str(e))
    impls = [i for i in args.impls.split(",") if i]
    unknown = [i for i in impls if i not in TRACED_CELLS]
    if unknown:
        parser.error(f"--impls {args.impls!r}: {unknown} cannot be traced; choose from {','.join(TRACED_CELLS)}")
    if args.tflite and args.mode != "inference":
        parser.error("--tflite profiles inference only: leave out --mode train or --tflite")
    for impl in (i for i in impls if i.startswith("keras3_")):
        try:
            _check_keras_backend(impl)
        except ValueError as e:
            parser.error(str(e))
    for model in args.models:
        print(f"## {model}, {args.mode}, batch {args.batch}\n")
        if impls:
            profiles = {impl: cell_profile(model, impl, args.mode, args.batch, steps=args.steps) for impl in impls}
            print(format_cell_profiles(profiles) + "\n", flush=True)
        if args.tflite:
            ops, left, times = tflite_profile(model, args.batch, runs=args.steps)
            print(f"TFLite ops: {ops}\nleft to TFLite's kernels after XNNPACK: {left}\n"
                  f"ms per step: XNNPACK {times['xnnpack']:.1f}, TFLite's kernels alone {times['reference']:.1f}\n",
                  flush=True)


if __name__ == "__main__":
    main()
