"""`python -m zoo COMMAND`: story, list, pretrained, inspect, convert, import-frozen-graph, predict, export,
make-tfrecords, bench. Each command prints what it did and exits non-zero with a one-line reason on bad input."""
import argparse
import json
import sys


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

    info = inspect_checkpoint(args.path)
    print(json.dumps(info, indent=1) if args.json else format_inspection(info, show_keys=not args.summary))


def cmd_convert(args):
    from zoo.checkpoints import convert
    from zoo.checkpoints.io import CheckpointReader

    kind = CheckpointReader(args.src).kind
    if args.to == "native":
        if not args.model:
            raise ValueError("--to native needs --model NAME (see `python -m zoo list`)")
        options = dict(exclude_scopes=_scopes(args.exclude_scopes), ignore_missing_vars=args.ignore_missing_vars,
                       use_ema=args.use_ema, assignment_map=_assignment_map(args.assignment_map), head=args.head)
        prefix, report = convert.tf1_to_native(args.model, args.src, args.dst, num_classes=args.num_classes,
                                               keras=args.keras, **options)
        print(report)
    elif args.to == "tf2":
        prefix = convert.tf1_to_tf2(args.src, args.dst)
    elif kind == "tf2-object":
        if not args.model:
            raise ValueError(f"{args.src} is a Keras model's object-based checkpoint: pass --model NAME "
                             "(and --num-classes if not the default) to name its variables")
        prefix = convert.native_to_tf1(args.model, args.src, args.dst, num_classes=args.num_classes,
                                       keras=args.keras)
    else:
        prefix = convert.tf2_to_tf1(args.src, args.dst)
    print(f"wrote {prefix} ({args.to})")


def cmd_import_frozen_graph(args):
    from zoo.checkpoints import match_keys
    from zoo.checkpoints.frozen import frozen_graph_reader, frozen_graph_to_checkpoint
    from zoo.checkpoints.inspect import guess_architecture

    reader = frozen_graph_reader(args.pb)
    if args.model:
        import zoo

        spec = zoo.get_spec(args.model)
        from zoo.checkpoints.inspect import slim_signature

        report, _ = match_keys(reader, slim_signature(args.model), head_scopes=spec.mapping.head_variable_scopes,
                               strict=not args.lenient)
        print(report)
    else:
        for g in guess_architecture(reader.shapes):
            print(f"fits {g['model']}: {100 * g['explained']:.1f}% of its weight nodes by name and shape")
    print(f"wrote {frozen_graph_to_checkpoint(args.pb, args.output_prefix)} "
          f"({len(reader.keys())} weight constants)")


def _load_image(ref):
    """A file (JPEG, PNG, BMP, GIF) or `skimage:NAME` for scikit-image's bundled photographs."""
    import numpy as np
    import tensorflow as tf

    if ref.startswith("skimage:"):
        import skimage.data

        name = ref.split(":", 1)[1]
        if not hasattr(skimage.data, name):
            raise ValueError(f"scikit-image has no photograph {name!r} (try chelsea, coffee, astronaut, rocket)")
        return np.asarray(getattr(skimage.data, name)())
    try:
        with open(ref, "rb") as f:
            return tf.io.decode_image(f.read(), channels=3, expand_animations=False).numpy()
    except FileNotFoundError:
        raise ValueError(f"No image at {ref!r}") from None
    except tf.errors.InvalidArgumentError as e:
        raise ValueError(f"{ref!r} is not a JPEG, PNG, BMP or GIF image ({e.message.splitlines()[0]})") from None


def cmd_predict(args):
    import numpy as np
    import tensorflow as tf

    import zoo
    from zoo.preprocessing import decode_predictions, load_labels

    if sum(map(bool, (args.checkpoint, args.frozen_graph, args.pretrained))) != 1:
        raise ValueError("pass exactly one of --checkpoint PREFIX, --frozen-graph PB or --pretrained TAG|PATH")
    labels = load_labels(args.labels)
    options = {"use_ema": True} if args.use_ema else {}
    model = zoo.create_model(args.model, args.impl, num_classes=len(labels), image_size=args.image_size,
                             checkpoint=args.checkpoint, frozen_graph=args.frozen_graph,
                             pretrained=_pretrained(args.pretrained),
                             keras=args.keras if args.impl == "native" else None, **options)
    batch = np.stack([model.preprocess(_load_image(ref)).numpy() for ref in args.images])
    logits = model(batch)
    probabilities = tf.nn.softmax(np.asarray(logits)).numpy()
    for ref, top in zip(args.images, decode_predictions(probabilities, labels, top=args.top)):
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
    from zoo import export

    feature_vector = args.format == "feature_vector"
    model = zoo.create_model(args.model, "native", checkpoint=args.checkpoint, keras=args.keras,
                             pretrained=_pretrained(args.pretrained), image_size=args.image_size,
                             **({"include_top": False, "pooling": "avg"} if feature_vector else {}))
    if args.format == "saved_model":
        export.export_saved_model(model, args.output)
    elif args.format == "tflite":
        export.export_tflite(model, args.output)
    else:
        export.export_feature_vector(model, args.output)
    print(f"wrote {args.format} of {args.model} to {args.output}")


def cmd_make_tfrecords(args):
    from zoo.data.tfrecords import write_tfrecords

    n = write_tfrecords(args.image_dir, args.output_dir, split=args.split, num_shards=args.shards)
    print(f"wrote {n} images of {args.image_dir} to {args.output_dir}/{args.split}-*.tfrecord")


def cmd_bench(args):
    import fnmatch

    import zoo
    from zoo import bench

    models = []
    for pattern in args.models.split(","):
        matched = [m for m in zoo.list_models() if fnmatch.fnmatchcase(m, pattern)]
        if not matched:
            raise ValueError(f"--models {pattern!r} matches no registered model; see `python -m zoo list`")
        models += [m for m in matched if m not in models]
    impls = args.impls.split(",")
    bench.check_impls(impls)
    if args.precision not in ("float32", "bfloat16"):
        raise ValueError("--precision is float32 or bfloat16")
    modes = bench.MODES if args.mode == "both" else (args.mode,)
    if args.from_results:
        rows = [r for r in bench.read_results(args.from_results) if r["model"] in models and r["impl"] in impls
                and r["mode"] in modes]
    else:
        rows = bench.run(models, impls, modes, args.batch_size, args.image_size, args.precision, args.warmup,
                         args.iters, args.rounds)
    print(bench.format_table(rows))
    print()
    print(bench.ratio_table(rows))
    if args.results_file:
        bench.write_results(rows, args.results_file)
        print(f"wrote {args.results_file}")
    if args.plot:
        bench.plot(rows, args.plot)
        print(f"wrote {args.plot}")


def cmd_story(args):
    from zoo.story import run

    run(args.workdir, slim_steps=args.slim_steps, fine_tune_steps=args.fine_tune_steps)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m zoo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("story", help="the migration story end to end on digits: TF1 slim training -> Keras 3 "
                                     "native (and shim) -> tf.distribute fine-tuning -> eval -> TFLite")
    p.add_argument("--workdir", default="runs/story")
    p.add_argument("--slim-steps", type=int, default=300)
    p.add_argument("--fine-tune-steps", type=int, default=150)
    p.set_defaults(func=cmd_story)

    p = sub.add_parser("list", help="registered models")
    p.add_argument("pattern", nargs="?", default="*")
    p.set_defaults(func=cmd_list)

    p = sub.add_parser("pretrained", help="published weight sets in weights_manifest.json")
    p.add_argument("pattern", nargs="?", default="*")
    p.add_argument("--all", action="store_true", help="also architectures the zoo does not implement")
    p.set_defaults(func=cmd_pretrained)

    p = sub.add_parser("export", help="native model -> SavedModel (uint8 serving), feature vector, or TFLite")
    p.add_argument("model")
    p.add_argument("output", help="output directory (SavedModel) or .tflite file")
    p.add_argument("--format", default="saved_model", choices=("saved_model", "feature_vector", "tflite"))
    p.add_argument("--checkpoint", help="TF1 checkpoint prefix or directory")
    p.add_argument("--pretrained", help="'default', a tag of weights_manifest.json, or a local tarball/path")
    p.add_argument("--image-size", type=int)
    p.add_argument("--keras", default="keras", choices=("keras", "tf_keras"),
                   help="the native model's Keras: Keras 3 (default) or tf_keras")
    p.set_defaults(func=cmd_export)

    p = sub.add_parser("inspect", help="keys, shapes, dtypes, parameters; which model it fits")
    p.add_argument("path", help="checkpoint prefix, directory, or one of its files")
    p.add_argument("--summary", action="store_true", help="omit the per-key listing")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("convert", help="tf1 <-> tf2 <-> native checkpoints (atomic writes)", description=(
        "--to tf2: TF1 name-based -> TF2 object-based (var_list form). --to tf1: TF2 var_list form, or "
        "with --model a native model's object checkpoint (train.py's), -> TF1 name-based. --to native "
        "--model NAME: TF1 -> the native model's TF2 object checkpoint through the mapping (report printed)."))
    p.add_argument("src")
    p.add_argument("dst", help="output checkpoint prefix")
    p.add_argument("--to", required=True, choices=("tf1", "tf2", "native"))
    p.add_argument("--model", help="registered model name (needed for native checkpoints)")
    p.add_argument("--num-classes", type=int)
    p.add_argument("--exclude-scopes", help="comma-separated slim scopes left freshly initialised")
    p.add_argument("--ignore-missing-vars", action="store_true")
    p.add_argument("--use-ema", action="store_true", help="take /ExponentialMovingAverage shadows")
    p.add_argument("--head", default="strict", choices=("strict", "auto", "reinit"))
    p.add_argument("--assignment-map", action="append", metavar="OLD=NEW")
    p.add_argument("--keras", default="keras", choices=("keras", "tf_keras"),
                   help="the native model's Keras: Keras 3 (default) or tf_keras")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("import-frozen-graph", help="a release's *_frozen.pb -> TF1 name-based checkpoint")
    p.add_argument("pb")
    p.add_argument("output_prefix")
    p.add_argument("--model", help="check the weight nodes against this model and print the report")
    p.add_argument("--lenient", action="store_true", help="write even if nodes are missing or mismatched")
    p.set_defaults(func=cmd_import_frozen_graph)

    p = sub.add_parser("predict", help="top-k classes for images with real weights")
    p.add_argument("images", nargs="+", metavar="IMAGE", help="image files, or skimage:NAME (e.g. skimage:chelsea)")
    p.add_argument("--model", required=True)
    p.add_argument("--impl", default="native", choices=("native", "shim", "slim"))
    p.add_argument("--checkpoint", help="TF1 checkpoint prefix or directory")
    p.add_argument("--frozen-graph", help="a release's *_frozen.pb")
    p.add_argument("--pretrained", help="'default', a tag of weights_manifest.json, or a local tarball/path")
    p.add_argument("--labels", required=True, help="labels file, one class per line (its length sets the classes)")
    p.add_argument("--image-size", type=int)
    p.add_argument("--use-ema", action="store_true")
    p.add_argument("--top", type=int, default=5)
    p.add_argument("--keras", default="keras", choices=("keras", "tf_keras"),
                   help="the native model's Keras: Keras 3 (default) or tf_keras")
    p.set_defaults(func=cmd_predict)

    p = sub.add_parser("make-tfrecords", help="IMAGE_DIR/CLASS/*.jpg -> slim-format TFRecords")
    p.add_argument("image_dir")
    p.add_argument("output_dir")
    p.add_argument("--split", default="train", help="train | test")
    p.add_argument("--shards", type=int, default=2)
    p.set_defaults(func=cmd_make_tfrecords)

    p = sub.add_parser("bench", help="throughput of slim graph / shim / native / keras.applications")
    p.add_argument("--models", default="*", help="comma-separated names or patterns (default: all)")
    p.add_argument("--impls", default="slim_graph,shim_eager,shim_function,native_function,native_xla,"
                                      "keras3_tensorflow,keras3_jax,keras3_torch,keras_applications",
                   help="native_function/native_xla: the tf_keras native; keras3_BACKEND: the Keras 3 native")
    p.add_argument("--mode", default="both", choices=("inference", "train", "both"))
    p.add_argument("--batch_size", type=int, default=8)
    p.add_argument("--image_size", type=int, default=0, help="0: each model's default")
    p.add_argument("--precision", default="float32", help="float32 | bfloat16 (native impls)")
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--results_file", help="CSV, or JSON by extension")
    p.add_argument("--plot", nargs="?", const="bench.png", help="write a PNG chart (default bench.png)")
    p.add_argument("--from_results", help="tables and chart from an earlier run's CSV/JSON instead of running")
    p.set_defaults(func=cmd_bench)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from zoo.checkpoints import CheckpointError
    from zoo.weights import DownloadError

    try:
        args.func(args)
    except (CheckpointError, ValueError, FileNotFoundError, DownloadError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
