"""One training run per workdir: a lock file naming its owner, and the newest checkpoint that still reads.

Why our own lock rather than `fcntl.flock`: the lock must be visible and explainable (who holds it, since when)
and must outlive a `kill -9` as evidence, to be declared stale only when its process is gone from this host.
"""
import json
import os
import socket
import time

from zoo.checkpoints.io import pid_alive
from zoo.errors import WorkdirBusyError

LOCK_NAME = ".lock"


def is_chief() -> bool:
    """Whether this process writes the workdir: always, except a non-chief multi-worker task (TF_CONFIG), which
    shares the chief's workdir and must not take its lock."""
    config = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task, cluster = config.get("task", {}), config.get("cluster", {})
    if not task:
        return True
    if "chief" in cluster:
        return task.get("type") == "chief"
    return task.get("type") == "worker" and int(task.get("index", 0)) == 0


class WorkdirLock:
    """`with WorkdirLock(workdir, log):` — created with O_EXCL (atomic on local and NFS v3+ filesystems),
    holding {pid, host, started}; a lock left by a dead process on this host is taken over (and said so). Only
    the chief of a multi-worker run takes it."""

    def __init__(self, workdir, log=print):
        self.path, self.log = os.path.join(workdir, LOCK_NAME), log

    def __enter__(self):
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        if not is_chief():
            self.path = None
            return self
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                self._break_if_stale()
                continue
            with os.fdopen(fd, "w") as f:
                json.dump(me, f)
            return self
        raise WorkdirBusyError(f"Could not take the lock {self.path}; another run keeps taking it.")

    def _break_if_stale(self):
        try:
            with open(self.path) as f:
                owner = json.load(f)
        except (OSError, ValueError):
            owner = {}
        host, pid = owner.get("host"), owner.get("pid")
        if host == socket.gethostname() and isinstance(pid, int) and not pid_alive(pid):
            self.log(f"taking over the lock of a run that is gone (pid {pid}, started {owner.get('started')})")
            try:
                os.remove(self.path)
            except FileNotFoundError:
                pass
            return
        if not owner:  # being written right now, or garbage: give the writer a moment, then decide
            time.sleep(0.2)
            if os.path.exists(self.path) and os.path.getsize(self.path) == 0:
                os.remove(self.path)
                return
            if os.path.exists(self.path):
                raise WorkdirBusyError(f"{self.path} is not a lock this zoo wrote (unreadable); delete it if no "
                                       "training run uses this workdir.")
            return
        raise WorkdirBusyError(
            f"{os.path.dirname(self.path)} is in use by another training run (pid {pid} on {host}, started "
            f"{owner.get('started')}). Wait for it, use another --workdir, or delete {self.path} if that run is "
            "gone (another host's process cannot be checked from here).")

    def __exit__(self, *exc):
        if self.path is None:
            return
        try:
            with open(self.path) as f:
                mine = json.load(f).get("pid") == os.getpid()
        except (OSError, ValueError):
            mine = False
        if mine:
            os.remove(self.path)


def checkpoints_newest_first(directory):
    """Checkpoint prefixes in `directory`, newest first: the state file's list, then any other `*.index`."""
    import tensorflow as tf

    state = tf.train.get_checkpoint_state(directory) if os.path.isdir(directory) else None
    listed = [os.path.join(directory, os.path.basename(p)) for p in (state.all_model_checkpoint_paths if state else [])]
    if state and state.model_checkpoint_path:
        listed.append(os.path.join(directory, os.path.basename(state.model_checkpoint_path)))
    found = [os.path.join(directory, f[:-len(".index")]) for f in os.listdir(directory) if f.endswith(".index")] \
        if os.path.isdir(directory) else []
    ordered = sorted(set(listed + found), key=lambda p: (_step_of(p), p in listed), reverse=True)
    return ordered


def _step_of(prefix):
    tail = prefix.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def restore_newest_readable(checkpoint, directory, log=print, only=None, partial=False):
    """Restore `checkpoint` (a tf.train.Checkpoint) from the newest readable checkpoint in `directory` (or
    exactly `only`); a newer one that cannot be read (truncated, corrupt) is named and skipped, never deleted.
    `partial`: the checkpoint may hold more (an optimizer) than is restored. Returns the prefix used, or None
    when the directory holds none."""
    import tensorflow as tf

    from zoo.checkpoints import CheckpointError

    candidates = [only] if only else checkpoints_newest_first(directory)
    for prefix in candidates:
        try:
            status = checkpoint.restore(prefix)
            (status.expect_partial() if partial else status).assert_existing_objects_matched()
        except (tf.errors.OpError, IndexError) as e:  # IndexError: "Read less bytes than requested"
            reason = (getattr(e, "message", None) or str(e)).strip().splitlines()[0]
            log(f"checkpoint {prefix} is unreadable ({reason}); falling back to the one before it")
            continue
        except (AssertionError, ValueError) as e:  # unmatched objects, or a variable of another shape
            raise CheckpointError(
                f"{prefix} does not fit the model this config builds ({str(e).strip().splitlines()[0][:200]}). "
                "A workdir holds one experiment: run with the config it was trained with, or a new "
                "--workdir.") from None
        if prefix != candidates[0]:
            log(f"resumed from {prefix}, the newest readable checkpoint (newer ones are left as they are)")
        return prefix
    if candidates:
        raise CheckpointError(f"No checkpoint in {directory} can be read ({len(candidates)} tried, all corrupt). "
                              "Move the directory away to start afresh, or restore it from a backup.")
    return None
