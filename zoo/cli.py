"""`zoo COMMAND` (or `python -m zoo COMMAND`): story, list, pretrained, inspect, convert, import-frozen-graph,
predict, export, make-tfrecords, bench, migrate. Each command prints what it did; on bad input it prints one line saying
what is wrong and what to do and exits 2 (--debug shows the traceback instead)."""
import argparse
import importlib.util
import json
import os
import sys

from zoo import __version__
from zoo.errors import quiet_tensorflow, run_reporting


def _scopes(text):
    return tuple(s for s in (text or "").split(",") if s)


def _assignment_map(pairs):
    out = {}
    for pair in pairs or ():
        if "=" not in pair:
            raise ValueError(f"--assignment-map takes OLD=NEW (e.g. 'old_scope/=new_scope/'), got {pair!r}")
        old, new = pair.split("=", 1)
        out[old] = new
    return out


def cmd_list(args):
    import zoo

    for name in zoo.list_models(args.pattern):
        s = zoo.get_spec(name)
        print(f"{name:<24} {s.image_size}x{s.image_size}x{s.channels}  {s.num_classes:>5} classes  "
              f"{s.num_params:>12,} params  preprocessing={s.preprocessing}")


def cmd_inspect(args):
    from zoo.checkpoints.inspect import format_inspection, inspect_checkpoint

    info = inspect_checkpoint(args.path, verify=args.verify)
    print(json.dumps(info, indent=1) if args.json else format_inspection(info, show_keys=not args.summary))
    if args.verify and info["verify"]["problems"]:
        raise ValueError(f"{info['prefix']} failed verification: {info['verify']['problems'][0]}")


def cmd_convert(args):
    from zoo.checkpoints import convert
    from zoo.checkpoints.io import CheckpointReader

    _check_count("--num-classes", args.num_classes)
    kind = CheckpointReader(args.src).kind
    if args.to == "native":
        if not args.model:
            raise ValueError("--to native needs --model NAME (see `zoo list`)")
        options = dict(exclude_scopes=_scopes(args.exclude_scopes), ignore_missing_vars=args.ignore_missing_vars,
                       use_ema=args.use_ema, assignment_map=_assignment_map(args.assignment_map), head=args.head)
        prefix, report = convert.tf1_to_native(args.model, args.src, args.dst, num_classes=args.num_classes,
                                               keras=args.keras or "keras", overwrite=args.overwrite, **options)
        print(report)
    elif args.to == "tf2":
        prefix = convert.tf1_to_tf2(args.src, args.dst, overwrite=args.overwrite)
    elif kind == "tf2-object":
        if not args.model:
            raise ValueError(f"{args.src} is a Keras model's object-based checkpoint: pass --model NAME "
                             "(and --num-classes if not the default) to name its variables")
        prefix = convert.native_to_tf1(args.model, args.src, args.dst, num_classes=args.num_classes,
                                       keras=args.keras, overwrite=args.overwrite)
    else:
        prefix = convert.tf2_to_tf1(args.src, args.dst, overwrite=args.overwrite)
    print(f"wrote {prefix} ({args.to})")


def cmd_import_frozen_graph(args):
    import zoo
    from zoo.checkpoints import match_keys, write_checkpoint
    from zoo.checkpoints.frozen import frozen_graph_reader
    from zoo.checkpoints.inspect import guess_architecture, slim_signature
    from zoo.checkpoints.io import check_destination

    check_destination(args.output_prefix, args.overwrite)  # before the graph is parsed
    reader = frozen_graph_reader(args.pb)
    if args.model:
        spec = zoo.get_spec(args.model)
        report, _ = match_keys(reader, slim_signature(args.model), head_scopes=spec.mapping.head_variable_scopes,
                               strict=not args.lenient)
        print(report)
    else:
        for g in guess_architecture(reader.shapes):
            print(f"fits {g['model']}: {100 * g['explained']:.1f}% of its weight nodes by name and shape")
    prefix = write_checkpoint({k: reader.get(k) for k in reader.keys()}, args.output_prefix, args.overwrite)
    print(f"wrote {prefix} ({len(reader.keys())} weight constants)")


def _check_count(flag, value, low=1):
    if value is not None and value < low:
        raise ValueError(f"{flag} {value}: it must be at least {low}.")


def cmd_predict(args):
    import numpy as np
    import tensorflow as tf

    import zoo
    from zoo.images import load_image
    from zoo.preprocessing import decode_predictions, load_labels

    if sum(map(bool, (args.checkpoint, args.frozen_graph, args.pretrained))) != 1:
        raise ValueError("pass exactly one of --checkpoint PREFIX, --frozen-graph PB or --pretrained TAG|PATH")
    channels = zoo.get_spec(args.model).channels
    _check_count("--top", args.top)
    labels = load_labels(args.labels)
    images = [load_image(ref, channels) for ref in args.images]  # every input checked before the model is built
    options = {"use_ema": True} if args.use_ema else {}
    model = zoo.create_model(args.model, args.impl, num_classes=len(labels), image_size=args.image_size,
                             checkpoint=args.checkpoint, frozen_graph=args.frozen_graph,
                             pretrained=_pretrained(args.pretrained),
                             keras=args.keras if args.impl == "native" else None, **options)
    batch = np.stack([model.preprocess(image).numpy() for image in images])
    logits = model(batch)
    probabilities = tf.nn.softmax(np.asarray(logits)).numpy()
    for ref, top in zip(args.images, decode_predictions(probabilities, labels, top=min(args.top, len(labels)))):
        print(ref)
        for index, label, p in top:
            print(f"  {p:7.4f}  {index:5d}  {label}")


def _pretrained(value):
    return True if value == "default" else value


def cmd_pretrained(args):
    import os

    from zoo import weights

    known = weights.entries()
    for name in weights.list_pretrained(args.pattern, implemented_only=not args.all):
        e = known[name]
        cached = os.path.isdir(os.path.join(weights.zoo_home(), "weights", name))
        status = ("cached" if cached else "") if e["implemented"] else "not implemented"
        top1 = e["published"]["top1"]
        print(f"{name:<34} {e['input_size']:>3}px {e['num_classes']:>5} classes  top-1 "
              f"{top1 if top1 is not None else '-':>5}  {'default ' if e['default'] else '':8}{status}")


def cmd_export(args):
    import zoo
    from zoo import export, quantize

    feature_vector = args.format == "feature_vector"
    if (args.quantize or args.io or args.representative) and args.format != "tflite":
        raise ValueError("--quantize, --io and --representative apply to --format tflite only.")
    quantize.check_quantization(args.quantize, args.io)
    if args.representative and args.quantize is None:
        raise ValueError("--representative calibrates quantization: add --quantize int8 (or dynamic/float16 to "
                         "measure drift on those images).")
    export.check_output(args.output, args.overwrite)
    channels = zoo.get_spec(args.model).channels
    images = quantize.representative_images(args.representative, channels) if args.representative else None
    model = zoo.create_model(args.model, "native", checkpoint=args.checkpoint, keras=args.keras,
                             pretrained=_pretrained(args.pretrained), image_size=args.image_size,
                             **({"include_top": False, "pooling": "avg"} if feature_vector else {}))
    given = quantize.preprocessed(model, images) if images is not None else None  # calibration and drift report
    if args.format == "saved_model":
        export.export_saved_model(model, args.output, overwrite=args.overwrite)
    elif args.format == "tflite":
        representative = None
        if args.quantize:  # the calibration set (int8) and the images the drift is reported on
            representative = quantize.default_set(model) if given is None else given
        export.export_tflite(model, args.output, overwrite=args.overwrite, quantize=args.quantize, io=args.io,
                             representative=representative)
    elif args.format == "onnx":
        export.export_onnx(model, args.output, overwrite=args.overwrite)
    else:
        export.export_feature_vector(model, args.output, overwrite=args.overwrite)
    print(f"wrote {args.format}{f' ({args.quantize})' if args.quantize else ''} of {args.model} to {args.output}"
          f"{f' ({os.path.getsize(args.output) / 1e6:.2f} MB)' if args.format in ('tflite', 'onnx') else ''}")
    if args.quantize:
        _report_drift(model, args.output, "TFLite", given)
    elif args.format == "onnx":  # parity on each runtime installed
        from zoo.onnx_runtimes import RUNTIMES

        for runtime in RUNTIMES:
            if importlib.util.find_spec(runtime):
                _report_drift(model, args.output, runtime, None)


def _report_drift(model, path, runtime, images):
    """The exported file against the float model: on the digits' test split (labelled) for digit models, else on
    `images` (the representative ones given) or the default photographs."""
    from zoo import quantize
    from zoo.data.datasets import digits_arrays

    channels = model.inputs[0].shape[-1]
    if images is None and channels == 1:
        images, labels = digits_arrays("test")
        labelled = labels if model.outputs[0].shape[-1] == 10 else None
        report = quantize.drift(model, path, quantize.preprocessed(model, images), labelled, runtime=runtime)
        print(quantize.format_drift(report, "test digits", runtime))
        return
    what = "default photographs" if images is None else "representative images"
    if images is None:
        images = quantize.default_set(model)
    print(quantize.format_drift(quantize.drift(model, path, images, runtime=runtime), what, runtime))


def cmd_make_tfrecords(args):
    from zoo.data.tfrecords import write_tfrecords

    _check_count("--shards", args.shards)
    n = write_tfrecords(args.image_dir, args.output_dir, split=args.split, num_shards=args.shards)
    print(f"wrote {n} images of {args.image_dir} to {args.output_dir}/{args.split}-*.tfrecord")


def cmd_bench(args):
    import fnmatch

    import zoo
    from zoo import bench

    for flag in ("batch_size", "iters", "rounds"):
        _check_count("--" + flag.replace("_", "-"), getattr(args, flag))
    _check_count("--seconds", args.seconds, low=0)
    _check_count("--budget", args.budget, low=0)
    _check_count("--warmup", args.warmup, low=0)
    _check_count("--image-size", args.image_size, low=0)

    models = []
    for pattern in args.models.split(","):
        matched = [m for m in zoo.list_models() if fnmatch.fnmatchcase(m, pattern)]
        if not matched:
            raise ValueError(f"--models {pattern!r} matches no registered model; see `python -m zoo list`")
        models += [m for m in matched if m not in models]
    impls = args.impls.split(",")
    bench.check_impls(impls)
    modes = bench.MODES if args.mode == "both" else (args.mode,)
    shown = impls + ["slim_graph"]  # the baseline of every ratio, measured whether asked for or not
    if args.from_results:
        rows = [r for r in bench.read_results(args.from_results) if r["model"] in models and r["impl"] in shown
                and r["mode"] in modes]
        if args.results_file:
            bench.write_results(rows, args.results_file)
    else:
        if args.resume and not args.results_file:
            raise ValueError("--resume keeps the rows of --results-file: give --results-file too")
        done = bench.read_results(args.results_file) if args.resume and os.path.exists(args.results_file) else []
        save = (lambda rows: bench.write_results(rows, args.results_file)) if args.results_file else None
        rows = bench.run(models, impls, modes, args.batch_size, args.image_size, args.precision, args.warmup,
                         args.iters, args.rounds, args.seconds, args.budget, done=done, save=save)
        rows = [r for r in rows if r["model"] in models and r["impl"] in shown and r["mode"] in modes]
    print(bench.format_table(rows))
    print()
    print(bench.ratio_table(rows))
    print()
    print(bench.fastest_table(rows))
    print()
    if any(r.get("top1_agreement", "") != "" for r in rows):
        print(bench.cost_table(rows))
        print()
    print(bench.targets_table(rows))
    print()
    print(bench.machines_note(rows))
    if args.results_file:
        print(f"wrote {args.results_file}")
    if args.plot:
        bench.plot(rows, args.plot)
        print(f"wrote {args.plot}")


def cmd_story(args):
    from zoo.story import run

    _check_count("--slim-steps", args.slim_steps)
    _check_count("--fine-tune-steps", args.fine_tune_steps)
    run(args.workdir, slim_steps=args.slim_steps, fine_tune_steps=args.fine_tune_steps)


class _Help(argparse.RawDescriptionHelpFormatter):
    """The default after every option that has one (with or without help text); examples kept as written."""

    def _get_help_string(self, action):
        text = action.help or ""
        if action.default not in (None, False, argparse.SUPPRESS) and "%(default)" not in text:
            text += " (default: %(default)s)"
        return text.strip()


def _callable(ref, flag):
    """`module:function` (a file path works for the module: path/to/nets.py:my_net) -> the function."""
    import importlib
    import importlib.util

    if ":" not in ref:
        raise ValueError(f"{flag} takes module:function (e.g. mynets.lenet:lenet), got {ref!r}")
    module_name, name = ref.rsplit(":", 1)
    if module_name.endswith(".py"):
        if not os.path.isfile(module_name):
            raise ValueError(f"{flag}: no file {module_name!r}")
        spec = importlib.util.spec_from_file_location(os.path.splitext(os.path.basename(module_name))[0],
                                                      module_name)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    else:
        module = importlib.import_module(module_name)
    if not callable(getattr(module, name, None)):
        raise ValueError(f"{flag}: {module_name} has no function {name!r}")
    return getattr(module, name)


def _list(text):
    return [s for s in (text or "").split(",") if s] or None


def cmd_migrate(args):
    import zoo
    from zoo.errors import RunFailure

    out = os.path.abspath(args.out)
    if args.tolerance < 0:
        raise ValueError(f"--tolerance {args.tolerance}: it must be 0 or more (relative to each tensor's scale)")
    if not args.overwrite and os.path.exists(os.path.join(out, "model.py")):
        raise ValueError(f"{out} already holds a migration; pass --overwrite to replace it")
    shape = tuple(int(d) for d in args.input_shape.split(",")) if args.input_shape else None
    net = args.model or (_callable(args.net, "--net") if args.net else None)
    kwargs = {"num_classes": args.num_classes} if args.num_classes else {}
    migration = zoo.migrate(net, meta_graph=args.meta, frozen_graph=args.frozen_graph, checkpoint=args.checkpoint,
                            inputs=_list(args.inputs), outputs=_list(args.outputs), input_shape=shape,
                            arg_scope=_callable(args.arg_scope, "--arg-scope") if args.arg_scope else None,
                            backends=_list(args.backends) or (), tolerance=args.tolerance, **kwargs)
    migration.save(out, overwrite=args.overwrite)
    print(migration.parity)
    print(f"wrote {out}: model.py (generated source), model.keras, weights.ckpt (TF1 names, "
          f"{len(migration.weights)} variables), parity.json")
    if args.check and not migration.parity.ok:
        raise RunFailure(f"parity check failed: largest relative difference {migration.parity.worst():.3g} > "
                         f"tolerance {args.tolerance:g} (see {os.path.join(out, 'parity.txt')})")


def _show_defaults(parser):
    """argparse prints nothing for an option without help text: give those their default."""
    for action in parser._actions:
        if action.help is None and action.default not in (None, False, argparse.SUPPRESS):
            action.help = "(default: %(default)s)"


def _command(sub, name, help, example, func):
    p = sub.add_parser(name, help=help, description=help, epilog=f"example:\n  {example}", formatter_class=_Help)
    p.set_defaults(func=func)
    return p


def _keras_flag(p, default="keras", help="the native model's Keras: Keras 3 or tf_keras"):
    p.add_argument("--keras", default=default, choices=("keras", "tf_keras"), help=help)


def build_parser():
    from zoo.bench.results import IMPLS  # pure vocabulary: no TensorFlow

    parser = argparse.ArgumentParser(prog="zoo", description=__doc__, formatter_class=_Help,
                                     epilog="example:\n  zoo predict skimage:chelsea --model mobilenet_v1_025 "
                                            "--pretrained default --labels labels.txt")
    parser.add_argument("--version", action="version", version=f"zoo {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks instead of one-line errors")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _command(sub, "story", "the migration story end to end on digits: TF1 slim training -> Keras 3 native (and "
                 "shim) -> tf.distribute fine-tuning -> eval -> TFLite", "zoo story --workdir runs/story", cmd_story)
    p.add_argument("--workdir", default="runs/story")
    p.add_argument("--slim-steps", type=int, default=300)
    p.add_argument("--fine-tune-steps", type=int, default=150)

    p = _command(sub, "list", "registered models", "zoo list 'resnet_*'", cmd_list)
    p.add_argument("pattern", nargs="?", default="*", help="shell-style pattern")

    p = _command(sub, "pretrained", "published weight sets in weights_manifest.json", "zoo pretrained 'mobilenet*'",
                 cmd_pretrained)
    p.add_argument("pattern", nargs="?", default="*", help="shell-style pattern")
    p.add_argument("--all", action="store_true", help="also architectures the zoo does not implement")

    p = _command(sub, "export", "native model -> SavedModel (uint8 serving), feature vector, TFLite or ONNX",
                 "zoo export mobilenet_v1_025 out.tflite --format tflite --pretrained default", cmd_export)
    p.add_argument("model")
    p.add_argument("output", help="output directory (SavedModel), .tflite or .onnx file")
    p.add_argument("--format", default="saved_model", choices=("saved_model", "feature_vector", "tflite", "onnx"),
                   help="onnx: for ONNX Runtime / OpenVINO (pip install 'zoo[onnx]'); prints the parity on each "
                   "runtime installed")
    p.add_argument("--quantize", metavar="MODE", help="TFLite post-training quantization: dynamic (int8 weights), "
                   "float16, or int8 (full integer, calibrated on --representative); prints the drift against the "
                   "float model")
    p.add_argument("--io", metavar="TYPE", help="int8's input/output type: float32 (default), uint8 or int8 (as "
                   "Google's quantized releases)")
    p.add_argument("--representative", metavar="DIR", help="a directory of images, or a TFRecord dataset written "
                   "by `zoo make-tfrecords`, for calibration and the drift report, through the model's preprocessing "
                   "(default: scikit-learn's digits for 1-channel models, scikit-image's photographs for RGB ones)")
    p.add_argument("--checkpoint", help="TF1 checkpoint prefix or directory, or a train.py workdir")
    p.add_argument("--pretrained", help="'default', a tag of weights_manifest.json, or a local tarball/path")
    p.add_argument("--image-size", type=int, help="default: the model's")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output")
    _keras_flag(p)

    p = _command(sub, "inspect", "keys, shapes, dtypes, parameters; which model it fits",
                 "zoo inspect runs/lenet_digits --verify", cmd_inspect)
    p.add_argument("path", help="checkpoint prefix, directory, one of its files, or a train.py workdir")
    p.add_argument("--summary", action="store_true", help="omit the per-key listing")
    p.add_argument("--verify", action="store_true",
                   help="read every tensor: checksums (a truncated or corrupt shard fails) and NaN/inf counts")
    p.add_argument("--json", action="store_true")

    p = _command(sub, "convert", "tf1 <-> tf2 <-> native checkpoints (atomic; never over an existing one without "
                 "--overwrite)", "zoo convert model.ckpt-1000 out/native --to native --model lenet", cmd_convert)
    p.description += (". --to tf2: TF1 name-based -> TF2 object-based (var_list form). --to tf1: TF2 var_list form, "
                      "or with --model a native model's object checkpoint (train.py's), -> TF1 name-based. --to "
                      "native --model NAME: TF1 -> the native model's TF2 object checkpoint through the mapping.")
    p.add_argument("src", help="checkpoint prefix, directory, or a train.py workdir")
    p.add_argument("dst", help="output checkpoint prefix")
    p.add_argument("--to", required=True, choices=("tf1", "tf2", "native"))
    p.add_argument("--model", help="registered model name (needed for native checkpoints)")
    p.add_argument("--num-classes", type=int, help="default: the model's")
    p.add_argument("--exclude-scopes", help="comma-separated slim scopes left freshly initialised")
    p.add_argument("--ignore-missing-vars", action="store_true")
    p.add_argument("--use-ema", action="store_true", help="take /ExponentialMovingAverage shadows")
    p.add_argument("--head", default="strict", choices=("strict", "auto", "reinit"))
    p.add_argument("--assignment-map", action="append", metavar="OLD=NEW")
    p.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint at DST (the old one "
                   "stays readable until the new one is complete)")
    _keras_flag(p, default=None, help="the native model's Keras: to write (--to native; default Keras 3), or to "
                                      "read a native checkpoint with (default: tried both)")

    p = _command(sub, "import-frozen-graph", "a release's *_frozen.pb -> TF1 name-based checkpoint",
                 "zoo import-frozen-graph mobilenet_v1_0.25_224_frozen.pb out/model.ckpt --model mobilenet_v1_025",
                 cmd_import_frozen_graph)
    p.add_argument("pb")
    p.add_argument("output_prefix")
    p.add_argument("--model", help="check the weight nodes against this model and print the report")
    p.add_argument("--lenient", action="store_true", help="write even if nodes are missing or mismatched")
    p.add_argument("--overwrite", action="store_true", help="replace an existing checkpoint")

    p = _command(sub, "predict", "top-k classes for images with real weights",
                 "zoo predict skimage:chelsea photo.jpg --model mobilenet_v1_025 --pretrained default "
                 "--labels labels.txt", cmd_predict)
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files, or skimage:NAME (needs scikit-image)")
    p.add_argument("--model", required=True)
    p.add_argument("--impl", default="native", choices=("native", "shim", "slim"))
    p.add_argument("--checkpoint", help="TF1 checkpoint prefix or directory, or a train.py workdir")
    p.add_argument("--frozen-graph", help="a release's *_frozen.pb")
    p.add_argument("--pretrained", help="'default', a tag of weights_manifest.json, or a local tarball/path")
    p.add_argument("--labels", required=True, help="labels file, one class per line (its length sets the classes)")
    p.add_argument("--image-size", type=int, help="default: the model's")
    p.add_argument("--use-ema", action="store_true")
    p.add_argument("--top", type=int, default=5)
    _keras_flag(p)

    p = _command(sub, "make-tfrecords", "IMAGE_DIR/CLASS/*.jpg -> slim-format TFRecords",
                 "zoo make-tfrecords photos/ records/ --split train", cmd_make_tfrecords)
    p.add_argument("image_dir")
    p.add_argument("output_dir")
    p.add_argument("--split", default="train", choices=("train", "test"))
    p.add_argument("--shards", type=int, default=2)

    p = _command(sub, "bench", "throughput of slim graph / shim / native / keras.applications",
                 "zoo bench --models lenet,cifarnet --impls slim_graph,keras3_tensorflow --mode inference",
                 cmd_bench)
    p.add_argument("--models", default="*", help="comma-separated names or patterns")
    p.add_argument("--impls", default=",".join(IMPLS),
                   help="native_function/native_xla/native_bf16: the tf_keras native (bf16: mixed_bfloat16); "
                        "keras3_BACKEND: the Keras 3 native; keras_applications / keras3_applications: tf_keras's / "
                        "Keras 3's counterpart; tflite_xnnpack / tflite_int8: the zoo's float / int8 TFLite export; "
                        "onnxruntime / openvino: its ONNX export on that runtime")
    p.add_argument("--mode", default="both", choices=("inference", "train", "both"))
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--image-size", type=int, default=0, help="0: each model's default")
    p.add_argument("--precision", default="float32", choices=("float32", "bfloat16"), help="native impls")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--iters", type=int, default=5, help="at least this many measured steps per cell")
    p.add_argument("--seconds", type=float, default=2.0, help="and steps until this much time is measured")
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (the ratios' intervals need >= 2)")
    p.add_argument("--budget", type=float, default=0.0, help="seconds for the whole run (0: unbounded)")
    p.add_argument("--results-file", help="CSV, or JSON by extension; rewritten after each model and mode")
    p.add_argument("--resume", action="store_true",
                   help="keep --results-file's rows and measure only the models and modes it lacks")
    p.add_argument("--plot", nargs="?", const="bench.png", help="write a PNG chart")
    p.add_argument("--from-results", help="tables and chart from an earlier run's CSV/JSON instead of running")

    p = _command(sub, "migrate", "your own TF1 network (code, .meta + checkpoint, or frozen .pb) -> a native Keras 3 "
                 "model with its TF1 names, generated source and a parity report",
                 "zoo migrate --frozen-graph frozen.pb --outputs MobilenetV1/Predictions/Reshape_1 --out migrated "
                 "--backends jax,torch --check", cmd_migrate)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--net", help="module:function (or path/file.py:function) building the net TF1-style")
    source.add_argument("--meta", help="a Saver's .meta graph (weights from --checkpoint or the prefix beside it)")
    source.add_argument("--frozen-graph", help="a frozen GraphDef .pb (weights as constants)")
    source.add_argument("--model", help="a registered architecture: migrate its slim code")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--checkpoint", help="TF1 checkpoint prefix or directory (--net, --meta)")
    p.add_argument("--arg-scope", help="module:function returning the net's slim arg scope (--net)")
    p.add_argument("--inputs", help="comma-separated input placeholders (default: the graph's only one)")
    p.add_argument("--outputs", help="comma-separated output tensors (graphs) or end points (--net)")
    p.add_argument("--input-shape", help="H,W,C where the graph leaves it open (needed with --net)")
    p.add_argument("--num-classes", type=int, help="passed to the net function (--net, --model)")
    p.add_argument("--backends", help="also check parity on these Keras backends: tensorflow,jax,torch")
    p.add_argument("--tolerance", type=float, default=1e-4, help="relative to each tensor's largest magnitude")
    p.add_argument("--check", action="store_true", help="exit 1 when an output differs beyond the tolerance")
    p.add_argument("--overwrite", action="store_true", help="replace an existing migration in --out")
    for command in sub.choices.values():
        _show_defaults(command)
    return parser


def main(argv=None) -> int:
    """Run one command; returns the exit code (0; 2 with one line on stderr for bad input)."""
    args = build_parser().parse_args(argv)
    quiet_tensorflow()
    return run_reporting(args.func, args, debug=args.debug)


def console():
    """The `zoo` console script."""
    sys.exit(main())
