"""How every command (`zoo`, train.py, eval.py) ends when something is wrong: one line on stderr saying what
and what to do, no traceback (unless --debug). Exit 2: the input was wrong (arguments, config, files); exit 1:
the work itself failed (training diverged, the workdir is busy)."""
import sys

USAGE_EXIT, FAILURE_EXIT = 2, 1


class RunFailure(RuntimeError):
    """The work failed although the input was valid; the message says what is kept and what to do."""


class NonFiniteLossError(RunFailure):
    """Training met a non-finite loss, gradient or weight and stopped; the workdir keeps the last finite
    checkpoint."""


class WorkdirBusyError(RunFailure):
    """Another live run owns the workdir."""


# ValueError covers CheckpointError, ManifestError, UnsafeArchiveError; OSError missing, existing or unwritable
# files (a DownloadError, an OSError too, counts as a failed run: see _failures).
USAGE_ERRORS = (ValueError, OSError)


def quiet_tensorflow():
    """For the zoo's own programs (never on `import zoo`): TensorFlow's C++ INFO/WARNING start-up lines would
    bury the one line that matters. The user's own setting wins."""
    import os

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def one_line(error) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


def _failures():
    """What ends a run that had valid input: ours, a download that failed after its retries, and TensorFlow's
    runtime errors (disk full while saving, a corrupt TFRecord) — TensorFlow only if it is already imported."""
    kinds = [RunFailure]
    if "zoo.weights.cache" in sys.modules:
        kinds.append(sys.modules["zoo.weights.cache"].DownloadError)
    if "tensorflow" in sys.modules:
        kinds.append(sys.modules["tensorflow"].errors.OpError)
    return tuple(kinds)


def run_reporting(fn, *args, debug=False):
    """Call fn(*args); a user error or failed run becomes `error: ...` and an exit code (returned)."""
    try:
        fn(*args)
    except Exception as e:
        if debug or not isinstance(e, _failures() + USAGE_ERRORS):
            raise
        failed = isinstance(e, _failures())
        print(f"error: {one_line(e)}", file=sys.stderr)
        return FAILURE_EXIT if failed else USAGE_EXIT
    except KeyboardInterrupt:
        print("interrupted; what was written is complete (writes are atomic) — run again to resume",
              file=sys.stderr)
        return 130
    return 0
