"""Where a model's inference time goes, per op type: `python -m zoo.bench.profile mobilenet_v3_small_075`.

The benchmark (zoo.bench) says how much faster or slower each path is; this says why. The slim graph and the tf_keras
native are both built in a TF1 graph and run by a `Session` with a full trace, so that one tracer times the kernels
each really runs (grappler's fusions included) on the same weights; the TFLite export is listed by the ops that
XNNPACK leaves to TFLite's own kernels, and timed with and without XNNPACK.
"""
import argparse
import collections
import os
import statistics
import tempfile
import time

import numpy as np
import tensorflow as tf


def _op_type(label):
    """'name = _FusedConv2D(a, b)' -> '_FusedConv2D' (a trace's label carries the kernel grappler chose)."""
    return label.split(" = ", 1)[-1].split("(", 1)[0]


def _trace(session, fetch, feed, runs):
    """({op type: median ms per step, summed over its nodes}, median untraced wall ms per step)."""
    walls, per_run = [], []
    for _ in range(2):
        session.run(fetch, feed)  # warm-up: grappler, allocations
    for _ in range(runs):
        start = time.perf_counter()
        session.run(fetch, feed)
        walls.append(time.perf_counter() - start)
        meta = tf.compat.v1.RunMetadata()
        session.run(fetch, feed, options=tf.compat.v1.RunOptions(trace_level=tf.compat.v1.RunOptions.FULL_TRACE),
                    run_metadata=meta)
        times = collections.Counter()
        for device in meta.step_stats.dev_stats:
            if "/stream:" in device.device or "/memcpy" in device.device:
                continue
            for node in device.node_stats:
                if node.node_name != "_SOURCE":
                    times[_op_type(node.timeline_label or node.node_name)] += \
                        (node.op_end_rel_micros - node.op_start_rel_micros) / 1e3
        per_run.append(times)
    ops = {op: statistics.median(run.get(op, 0.0) for run in per_run) for op in set().union(*per_run)}
    return ops, 1e3 * statistics.median(walls)


def _images(model, batch, image_size):
    """(input size, a fixed random batch in the model's input range [-1, 1])."""
    import zoo

    spec = zoo.get_spec(model)
    size = image_size or spec.image_size
    return size, np.random.RandomState(0).uniform(-1, 1, (batch, size, size, spec.channels)).astype(np.float32)


def graph_profiles(model, batch=8, image_size=None, runs=5):
    """{"slim_graph" | "native": (op-type ms, wall ms)}: both in TF1 sessions, the native holding the slim
    graph's weights (its variables assigned by their slim names)."""
    import zoo
    from zoo.compat import tf1_graph

    size, images = _images(model, batch, image_size)
    slim_graph = zoo.create_model(model, "slim", image_size=size, seed=0)
    profiles = {"slim_graph": _trace(slim_graph.session, slim_graph.logits, {slim_graph.images: images}, runs)}
    weights = slim_graph.read()
    with tf1_graph() as graph:
        x = tf.compat.v1.placeholder(tf.float32, images.shape)
        native = zoo.create_model(model, "native", image_size=size, keras="tf_keras")
        logits = native(x, training=False)
        variables = zoo.slim_variables(native)
        assign = [v.assign(weights[name]) for name, v in variables.items()]
        session = tf.compat.v1.Session(graph=graph)
        session.run(tf.compat.v1.global_variables_initializer())
        session.run(assign)
    expected, got = slim_graph(images), session.run(logits, {x: images})
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * max(np.abs(expected).max(), 1.0),
                               err_msg="the profiled native does not compute the slim graph's logits")
    profiles["native"] = _trace(session, logits, {x: images}, runs)
    session.close()
    slim_graph.close()
    return profiles


def tflite_profile(model, batch=8, image_size=None, runs=5):
    """({op: count} of the export, {op: count} left to TFLite's kernels by XNNPACK with its partition count,
    {"xnnpack" | "reference": ms per step})."""
    import zoo
    from zoo.export import export_tflite

    size, images = _images(model, batch, image_size)
    native = zoo.create_model(model, image_size=size, keras="tf_keras")
    with tempfile.TemporaryDirectory() as tmp:
        with open(export_tflite(native, os.path.join(tmp, "model.tflite"), batch_size=batch), "rb") as f:
            content = f.read()
    ops = collections.Counter(op["op_name"] for op in tf.lite.Interpreter(model_content=content)._get_ops_details())
    no_delegate = tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreters = {"xnnpack": tf.lite.Interpreter(model_content=content, num_threads=os.cpu_count()),
                    "reference": tf.lite.Interpreter(model_content=content, num_threads=os.cpu_count(),
                                                     experimental_op_resolver_type=no_delegate)}
    times = {}
    for name, interpreter in interpreters.items():
        interpreter.allocate_tensors()
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


def format_graph_profiles(profiles, top=12):
    """A markdown table: op types by the larger of their two times, each path's ms per step."""
    (slim_ops, slim_wall), (native_ops, native_wall) = profiles["slim_graph"], profiles["native"]
    ops = sorted(set(slim_ops) | set(native_ops), key=lambda op: -max(slim_ops.get(op, 0), native_ops.get(op, 0)))
    lines = ["| op type | slim graph ms | native ms | native − slim |", "|---|---|---|---|"]
    for op in ops[:top]:
        a, b = slim_ops.get(op, 0.0), native_ops.get(op, 0.0)
        lines.append(f"| {op} | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    rest = ops[top:]
    a, b = sum(slim_ops.get(op, 0) for op in rest), sum(native_ops.get(op, 0) for op in rest)
    lines.append(f"| {len(rest)} other op types | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    a, b = sum(slim_ops.values()), sum(native_ops.values())
    lines.append(f"| kernel time, all ops (both cores) | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    a, b = slim_wall, native_wall
    lines.append(f"| wall time per step, untraced | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m zoo.bench.profile", description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="registered model names (zoo.list_models())")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5, help="traced steps; each op type's median is shown")
    parser.add_argument("--paths", default="graph,tflite", help="graph (slim graph vs native), tflite, or both")
    args = parser.parse_args(argv)
    import zoo

    try:
        for model in args.models:
            zoo.get_spec(model)  # an unknown name: one line with the close matches
    except ValueError as e:
        parser.error(str(e))
    paths = set(args.paths.split(","))
    if not paths or paths - {"graph", "tflite"}:
        parser.error(f"--paths {args.paths!r}: choose graph, tflite, or graph,tflite")
    for model in args.models:
        print(f"## {model}, inference, batch {args.batch}\n")
        if "graph" in paths:
            print(format_graph_profiles(graph_profiles(model, args.batch, runs=args.runs)) + "\n", flush=True)
        if "tflite" in paths:
            ops, left, times = tflite_profile(model, args.batch, runs=args.runs)
            print(f"TFLite ops: {ops}\nleft to TFLite's kernels after XNNPACK: {left}\n"
                  f"ms per step: XNNPACK {times['xnnpack']:.1f}, TFLite's kernels alone {times['reference']:.1f}\n",
                  flush=True)


if __name__ == "__main__":
    main()
