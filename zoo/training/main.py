"""What train.py and eval.py share around absl: flag and config errors as one line (exit 2), failures of the
run as one line (exit 1), `--debug` for the traceback, absl logging for progress."""
from __future__ import annotations

import difflib
import os
import sys
from typing import Callable, NoReturn

from absl import app, flags

from zoo.errors import USAGE_EXIT, one_line, quiet_tensorflow, run_reporting

_DEBUG = flags.DEFINE_bool("debug", False, "Show Python tracebacks instead of one-line errors.")


def _check_overrides(argv: list[str]) -> None:
    """`--config.KEY=...` with a KEY the config does not have: named with its close matches, before absl
    prints a traceback for it."""
    from zoo.training.config import default_config

    known = list(default_config().keys())
    for i, arg in enumerate(argv):
        if arg == "--config" or arg.startswith("--config="):
            path = arg.split("=", 1)[1] if "=" in arg else (argv[i + 1] if i + 1 < len(argv) else "")
            if not os.path.isfile(path.split(":", 1)[0]):
                raise ValueError(f"--config: no config file at {path!r}; pass one of configs/*.py")
        if arg.startswith("--config."):
            key = arg[len("--config."):].split("=", 1)[0].split(".", 1)[0]
            if key not in known:
                close = difflib.get_close_matches(key, known, n=3)
                raise ValueError(f"{arg.split('=', 1)[0]}: the config has no key {key!r}"
                                 + (f"; did you mean {close}?" if close else "; see zoo/training/config.py."))


def _usage_error(error: Exception, argv: list[str]) -> NoReturn:
    if "--debug" in argv:
        raise error
    print(f"error: {one_line(error)}", file=sys.stderr)
    sys.exit(USAGE_EXIT)


def define_config(default_path: str, help: str) -> flags.FlagHolder:
    """`--config` (a configs/*.py file) with `--config.KEY=VALUE` overrides. ml_collections reads the overrides
    in sys.argv as soon as the flag is defined, so unknown keys and bad values are caught here."""
    from ml_collections import config_flags

    quiet_tensorflow()
    try:
        _check_overrides(sys.argv[1:])
        return config_flags.DEFINE_config_file("config", default_path, help)
    except Exception as e:  # the config file, an override's key or type: all the user's input
        _usage_error(e, sys.argv)


def _parse(argv: list[str]) -> list[str]:
    try:
        return flags.FLAGS(argv)
    except Exception as e:  # flag syntax, config file, override types: all the user's input
        _usage_error(e, argv)


def run(main: Callable[[list[str]], None]) -> None:
    """`app.run(main)` with the zoo's error reporting; `main(argv)` does the work."""
    def wrapped(argv):
        if len(argv) > 1:
            print(f"error: unexpected arguments {argv[1:]}; flags look like --workdir=DIR --config.KEY=VALUE",
                  file=sys.stderr)
            sys.exit(USAGE_EXIT)
        import tensorflow as tf

        tf.get_logger().setLevel("WARNING")  # its INFO chatter (saver timings) hides ours
        sys.exit(run_reporting(main, argv, debug=_DEBUG.value))

    app.run(wrapped, flags_parser=_parse)
