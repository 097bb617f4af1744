"""One implementation of one model in its own process: `python -m zoo.bench.worker '<json spec>'` builds it, makes
the first call and the warm-up steps, prints `BENCH_READY <json>` (build, first-call and mapping times, parameter
count), then answers each `measure` line on stdin with `BENCH_RESULT <json>` (one round's step times, peak memory)
until stdin closes. The runner (zoo.bench) keeps one such process per implementation alive and asks them in turn,
so that rounds interleave without paying import, build and tracing again every round.

Implementations: slim_graph (TF1 Session.run), shim_eager, shim_function, native_function and native_xla (the
tf_keras native in tf.function, without / with jit_compile), keras3_tensorflow / keras3_jax / keras3_torch (the
Keras 3 native on that backend through `predict_on_batch` / `train_on_batch`, compiled as Keras does by default
there: tf.function, jax.jit, torch eager), keras_applications / keras3_applications (the tf_keras / Keras 3
`keras.applications` model of the same architecture, where one exists; Keras 3's on TensorFlow, run like
keras3_tensorflow), native_bf16 (the tf_keras native in tf.function under the mixed_bfloat16 policy),
tflite_xnnpack / tflite_int8 (the zoo's float / full-integer int8 TFLite export run by the TFLite interpreter, whose
default XNNPACK delegate uses one thread per core), onnxruntime / openvino (the zoo's ONNX export on ONNX Runtime /
OpenVINO, float32). The exported and bfloat16 cells also report their accuracy cost: top-1 agreement and the
largest probability difference against the float model on the export's drift images. Exported cells run inference
only. Modes: inference (forward, training=False) and train
(forward, softmax cross-entropy + regularization, gradients, SGD-with-momentum update).
"""
import json
import resource
import signal
import sys
import time

import numpy as np

from zoo.bench.cell_process import killed_reason
from zoo.registry import get_spec, list_models

# zoo name -> keras.applications constructor of the same architecture (`ModelSpec.keras_applications`)
KERAS_APPLICATIONS = {name: get_spec(name).keras_applications for name in list_models()
                      if get_spec(name).keras_applications}


def _peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _warm(step, warmup):
    """The first call's time (tracing, compilation), then the rest of the warm-up steps."""
    start = time.perf_counter()
    step()
    first = time.perf_counter() - start
    for _ in range(max(warmup - 1, 0)):
        step()
    return first


def _timed(step, iters, seconds=0.0):
    """The step times of at least `iters` steps, continuing until `seconds` of steps have been measured (so fast
    models get many samples and slow ones still a few)."""
    times = []
    while len(times) < iters or sum(times) < seconds:
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return times


def _slim_graph(spec, args, images, labels):
    import tensorflow as tf

    from zoo.compat import tf1_graph
    from zoo.slim_graph import build_slim

    train = args["mode"] == "train"
    with tf1_graph() as graph:
        x = tf.compat.v1.placeholder(tf.float32, images.shape)
        y = tf.compat.v1.placeholder(tf.int32, labels.shape)
        logits, _ = build_slim(spec, x, spec.num_classes, is_training=train)
        if train:
            loss = tf.compat.v1.losses.sparse_softmax_cross_entropy(y, logits)
            loss += tf.compat.v1.losses.get_regularization_loss()
            update_ops = tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)
            with tf.control_dependencies(update_ops):
                fetch = tf.compat.v1.train.MomentumOptimizer(0.01, 0.9).minimize(loss)
        else:
            fetch = logits
        init = tf.compat.v1.global_variables_initializer()
        params = int(sum(np.prod(v.shape) for v in tf.compat.v1.global_variables() if "Momentum" not in v.op.name))
        flops = _graph_flops(spec)
    session = tf.compat.v1.Session(graph=graph)
    session.run(init)
    feed = {x: images, y: labels}
    return (lambda: session.run(fetch, feed)), params, flops


def _graph_flops(spec):
    """Forward FLOPs per sample (multiply-add = 2) from TF's profiler on a batch-1 inference graph."""
    import tensorflow as tf

    from zoo.compat import tf1_graph
    from zoo.slim_graph import build_slim

    with tf1_graph() as graph:
        x = tf.compat.v1.placeholder(tf.float32, (1,) + spec.input_shape)
        build_slim(spec, x, spec.num_classes, is_training=False)
        opts = tf.compat.v1.profiler.ProfileOptionBuilder.float_operation()
        opts["output"] = "none"
        return tf.compat.v1.profiler.profile(graph, options=opts).total_float_ops


def _keras_model(args, spec, images, result):
    import tensorflow as tf
    import tf_keras

    import zoo

    impl = args["impl"]
    if impl == "keras_applications":
        ctor = getattr(tf_keras.applications, KERAS_APPLICATIONS[args["model"]])
        return ctor(weights=None, input_shape=spec.input_shape, classes=spec.num_classes)
    kind = "shim" if impl.startswith("shim") else "native"
    keras = "tf_keras" if kind == "native" else None
    precision = "bfloat16" if impl == "native_bf16" else args["precision"]
    if precision != "bfloat16" or kind == "shim":
        return zoo.create_model(args["model"], kind, image_size=args["image_size"], keras=keras)
    # bfloat16: the same weights in float32 first, so the accuracy cost is reported next to the speed.
    from zoo import quantize

    reference = zoo.create_model(args["model"], kind, image_size=args["image_size"], keras=keras)
    expected = reference(images, training=False).numpy()
    drift_images = quantize.default_set(reference)  # the images an export's accuracy cost is measured on
    expected_probabilities = tf.nn.softmax(reference.predict(drift_images, verbose=0)).numpy()
    tf_keras.mixed_precision.set_global_policy("mixed_bfloat16")
    model = zoo.create_model(args["model"], kind, image_size=args["image_size"], keras=keras)
    for name, value in zoo.read_weights(reference).items():
        zoo.slim_variables(model)[name].assign(value)
    got = model(images, training=False).numpy().astype(np.float32)
    result["bf16_max_rel_logit_error"] = float(np.abs(got - expected).max() / max(np.abs(expected).max(), 1e-12))
    result["bf16_top1_agreement"] = float((got.argmax(-1) == expected.argmax(-1)).mean())
    probabilities = tf.nn.softmax(tf.cast(model.predict(drift_images, verbose=0), tf.float32)).numpy()
    drift = quantize.compare(expected_probabilities, probabilities)
    result.update(top1_agreement=drift["top1_agreement"],
                  max_probability_difference=drift["max_probability_difference"])
    return model


def _keras_step(model, args, images, labels):
    import tensorflow as tf
    import tf_keras

    impl, train = args["impl"], args["mode"] == "train"
    x, y = tf.constant(images), tf.constant(labels)
    optimizer = tf_keras.optimizers.SGD(0.01, momentum=0.9)

    def infer():
        return model(x, training=False)

    def train_step():
        with tf.GradientTape() as tape:
            logits = tf.cast(model(x, training=True), tf.float32)
            loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
            if model.losses:
                loss += tf.add_n([tf.cast(l, tf.float32) for l in model.losses])
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
        return loss

    fn = train_step if train else infer
    if impl != "shim_eager":
        fn = tf.function(fn, jit_compile=impl == "native_xla")
    return lambda: np.asarray(fn())


def _keras3_step(args, spec, images, labels):
    """The Keras 3 native (or keras.applications' counterpart) on this process's backend, run the way Keras
    runs it by default there."""
    import keras

    import zoo

    if args["impl"] == "keras3_applications":
        model = getattr(keras.applications, KERAS_APPLICATIONS[args["model"]])(
            weights=None, input_shape=spec.input_shape, classes=spec.num_classes)
    else:
        model = zoo.create_model(args["model"], image_size=args["image_size"])
    model.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=keras.backend.backend() == "jax")
    if args["mode"] == "train":
        return model, lambda: model.train_on_batch(images, labels)
    return model, lambda: model.predict_on_batch(images)


# Cells that run an exported file: impl -> (format, TFLite quantization). Their files are written in a child process.
EXPORTED = {"tflite_xnnpack": ("tflite", None), "tflite_int8": ("tflite", "int8"), "onnxruntime": ("onnx", None),
            "openvino": ("onnx", None)}


def _export(impl, name, image_size, batch_size, path):
    """Run in a child process: converters peak at several times the model's size (TFLite's: 14.6 GB for VGG-16),
    memory a long-lived cell would otherwise hold beside its model's other live cells until the run ends. It dies
    with the cell (a cell past its time limit is killed), and leaves beside `path` the parameter count, the drift
    images and the float model's probabilities on them, or its error."""
    if sys.platform.startswith("linux"):
        import ctypes

        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    try:
        import tensorflow as tf

        import zoo
        from zoo import export
        from zoo.quantize import default_set

        model = zoo.create_model(name, image_size=image_size, keras="tf_keras")
        images = default_set(model)  # int8's calibration set, and the images the accuracy cost is measured on
        fmt, quantize = EXPORTED[impl]
        if fmt == "onnx":
            export.export_onnx(model, path)
        else:
            export.export_tflite(model, path, batch_size=batch_size, quantize=quantize, representative=images)
        np.save(path + ".images.npy", images)
        np.save(path + ".expected.npy", tf.nn.softmax(model.predict(images, batch_size=batch_size, verbose=0)).numpy())
        with open(path + ".params", "w") as f:
            f.write(str(model.count_params()))
    except Exception as e:
        with open(path + ".error", "w") as f:
            f.write(f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}")
        raise SystemExit(1)


def _export_in_child(impl, name, image_size, batch_size, path):
    """`_export` in a spawned process: the model's parameter count; its failure raised here as one line. An
    export at `path` that another cell of the run already made (the ONNX file both ONNX runtimes run) or failed
    to make is reused, file or failure, not converted again."""
    import multiprocessing
    import os

    what = f"{EXPORTED[impl][0].replace('tflite', 'TFLite').replace('onnx', 'ONNX')} export"
    if not (os.path.exists(path + ".params") or os.path.exists(path + ".failed")):
        child = multiprocessing.get_context("spawn").Process(target=_export,
                                                            args=(impl, name, image_size, batch_size, path))
        child.start()
        child.join()
        if child.exitcode != 0:
            if child.exitcode < 0:
                reason = killed_reason(child.exitcode, f"the {what}'s process")
            else:
                with open(path + ".error") as f:
                    reason = f"{what}: {f.read()}"
            with open(path + ".failed", "w") as f:
                f.write(reason)
    if os.path.exists(path + ".failed"):
        with open(path + ".failed") as f:
            raise RuntimeError(f.read())
    with open(path + ".params") as f:
        return int(f.read())


def _in_batches(predict, images, batch):
    """`predict` (fixed batch: TFLite's shapes are folded) over `images`, the last batch padded."""
    out = []
    for i in range(0, len(images), batch):
        chunk = images[i:i + batch]
        padded = np.concatenate([chunk, np.repeat(chunk[-1:], batch - len(chunk), axis=0)])
        out.append(np.asarray(predict(padded))[:len(chunk)])
    return np.concatenate(out)


def _exported_step(args, images, result):
    """The zoo's export of the tf_keras native (TFLite at the benchmark's batch in the TFLite interpreter, whose
    XNNPACK delegate uses one thread per core; or ONNX under ONNX Runtime or OpenVINO, float32), and its accuracy
    cost against the float model (`result`)."""
    import atexit
    import os
    import shutil
    import tempfile

    from zoo import quantize

    # One directory per benchmark run (the runner is this cell's parent), one file per model, size, batch and
    # export: a model's cells are started one after the other, so the second ONNX cell finds the first one's file.
    tmp = os.path.join(tempfile.gettempdir(), f"zoo-bench-{os.getppid()}")
    os.makedirs(tmp, exist_ok=True)
    atexit.register(shutil.rmtree, tmp, True)  # at the model's end; a mapped file outlives its directory entry
    impl = args["impl"]
    fmt, quantization = EXPORTED[impl]
    name = f"{args['model']}-{args['image_size']}-{len(images)}{'-' + quantization if quantization else ''}.{fmt}"
    path = os.path.join(tmp, name)
    params = _export_in_child(impl, args["model"], args["image_size"], len(images), path)
    if fmt == "onnx":
        from zoo.onnx_runtimes import predictor

        predict = predictor(path, impl)
    else:
        from zoo.lite import interpreter

        runner = interpreter(path, num_threads=os.cpu_count())
        runner.allocate_tensors()
        index, output = runner.get_input_details()[0]["index"], runner.get_output_details()[0]["index"]

        def predict(batch):
            runner.set_tensor(index, batch)
            runner.invoke()
            return runner.get_tensor(output)

    drift = quantize.compare(np.load(path + ".expected.npy"), _in_batches(predict, np.load(path + ".images.npy"),
                                                                          len(images)))
    result.update(top1_agreement=drift["top1_agreement"],
                  max_probability_difference=drift["max_probability_difference"])
    return params, lambda: predict(images)


def prepare(args):
    """Build the cell's model and step, call it once and warm it up: (step, what the runner reports of it)."""
    import zoo

    spec = zoo.get_spec(args["model"])
    args["image_size"] = args.get("image_size") or spec.image_size
    rng = np.random.RandomState(0)
    shape = (args["batch_size"], args["image_size"], args["image_size"], spec.channels)
    images = rng.uniform(-1, 1, shape).astype(np.float32)
    labels = rng.randint(0, spec.num_classes, args["batch_size"]).astype(np.int32)
    build_start = time.perf_counter()
    result = {}
    if args["impl"] == "slim_graph":
        step, params, flops = _slim_graph(spec, args, images, labels)
        result["gflops_per_sample"] = flops / 1e9
    elif args["impl"] in EXPORTED:  # inference only: the runner never asks for their train cells
        params, step = _exported_step(args, images, result)
    elif args["impl"].startswith("keras3_"):
        model, step = _keras3_step(args, spec, images, labels)
        params = model.count_params()
    else:
        model = _keras_model(args, spec, images, result)
        params = model.count_params()
        step = _keras_step(model, args, images, labels)
        if args["impl"] == "native_function" and args["precision"] == "float32":
            from zoo.bench.mapping import mapping_seconds

            result["mapping_seconds"] = mapping_seconds(model)
    result["build_seconds"] = time.perf_counter() - build_start
    result.update({"params": int(params), "first_call_seconds": _warm(step, args["warmup"])})
    return step, result


def measure(step, args):
    """One round: step times and the process's peak memory so far."""
    return {"step_seconds": _timed(step, args["iters"], args.get("seconds", 0.0)), "peak_memory_mb": _peak_memory_mb()}


def _error(e):
    return {"error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"}


def _say(tag, result):
    print(f"{tag} {json.dumps(result)}", flush=True)


def main():
    args = json.loads(sys.argv[1])
    try:  # errors are reported, not raised: one failing cell must not stop a benchmark run
        step, ready = prepare(args)
    except Exception as e:
        _say("BENCH_READY", _error(e))
        return
    _say("BENCH_READY", ready)
    for line in sys.stdin:
        if line.strip() != "measure":
            break
        try:
            _say("BENCH_RESULT", measure(step, args))
        except Exception as e:
            _say("BENCH_RESULT", _error(e))


if __name__ == "__main__":
    main()
