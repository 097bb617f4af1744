"""`python -m zoo COMMAND`: list, inspect, convert. Each command prints what it did and exits non-zero
with a one-line reason on bad input."""
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
                                               **options)
        print(report)
    elif args.to == "tf2":
        prefix = convert.tf1_to_tf2(args.src, args.dst)
    elif kind == "tf2-object":
        if not args.model:
            raise ValueError(f"{args.src} is a Keras model's object-based checkpoint: pass --model NAME "
                             "(and --num-classes if not the default) to name its variables")
        prefix = convert.native_to_tf1(args.model, args.src, args.dst, num_classes=args.num_classes)
    else:
        prefix = convert.tf2_to_tf1(args.src, args.dst)
    print(f"wrote {prefix} ({args.to})")


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m zoo", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("list", help="registered models")
    p.add_argument("pattern", nargs="?", default="*")
    p.set_defaults(func=cmd_list)

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
    p.set_defaults(func=cmd_convert)
    return parser


def main(argv=None):
    args = build_parser().parse_args(argv)
    from zoo.checkpoints import CheckpointError

    try:
        args.func(args)
    except (CheckpointError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    return 0
