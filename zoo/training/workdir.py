"""One training run per workdir: a lock naming its owner, and the newest checkpoint that still reads."""
from __future__ import annotations

import json
import os
import socket
import time
from typing import Any, Callable

from zoo.errors import WorkdirBusyError
from zoo.ownership import try_lock

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
    """`with WorkdirLock(workdir, log):` — an exclusive `flock` on `WORKDIR/.lock` for the run, which the kernel
    drops when the process ends (`kill -9` included), so a dead run never blocks the next one and a reused pid is
    never mistaken for it. The file says who holds it ({pid, host, started}; empty when free) and is never
    deleted (deleting a lock file lets two runs lock two different files). Only the chief of a multi-worker run
    takes it."""

    def __init__(self, workdir: str, log: Callable[[str], None] = print):
        self.path, self.log = os.path.join(workdir, LOCK_NAME), log
        self.fd: int | None = None

    def _owner(self, fd: int) -> dict:
        try:
            return json.loads(os.pread(fd, 4096, 0) or b"{}")
        except ValueError:
            return {}

    def __enter__(self) -> WorkdirLock:
        if not is_chief():
            return self
        os.makedirs(os.path.dirname(self.path), exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            locked = try_lock(fd)
        except OSError as e:  # a filesystem without locks
            self.log(f"cannot lock {self.path} ({e}); running without a workdir lock")
            os.close(fd)
            return self
        owner = self._owner(fd)
        if not locked:
            os.close(fd)
            raise WorkdirBusyError(
                f"{os.path.dirname(self.path)} is in use by another training run (pid {owner.get('pid')} on "
                f"{owner.get('host')}, started {owner.get('started')}). Wait for it to finish, or use another "
                "--workdir.")
        if owner:
            self.log(f"the previous run on this workdir (pid {owner.get('pid')}, started {owner.get('started')}) "
                     "ended without finishing; its lock is free, continuing")
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me).encode(), 0)
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)  # free
            os.close(self.fd)
            self.fd = None


def checkpoints_newest_first(directory: str) -> list[str]:
    """Checkpoint prefixes in `directory`, newest first: the state file's list, then any other `*.index`. A listed
    prefix without its index is left out: CheckpointManager records the new state before deleting the checkpoints
    beyond max_to_keep (index first), so a run killed during that sweep lists a checkpoint it was removing."""
    import tensorflow as tf

    state = tf.train.get_checkpoint_state(directory) if os.path.isdir(directory) else None
    listed = [os.path.join(directory, os.path.basename(p)) for p in (state.all_model_checkpoint_paths if state else [])]
    if state and state.model_checkpoint_path:
        listed.append(os.path.join(directory, os.path.basename(state.model_checkpoint_path)))
    found = [os.path.join(directory, f[:-len(".index")]) for f in os.listdir(directory) if f.endswith(".index")] \
        if os.path.isdir(directory) else []
    listed = [p for p in listed if os.path.exists(p + ".index")]
    ordered = sorted(set(listed + found), key=lambda p: (_step_of(p), p in listed), reverse=True)
    return ordered


def _step_of(prefix: str) -> int:
    tail = prefix.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() else -1


Errors = type[BaseException] | tuple[type[BaseException], ...]


def read_newest(directory: str, read: Callable[[str], Any], unreadable: Errors, log: Callable[[str], None] = print,
                only: str | None = None) -> tuple[str | None, Any]:
    """`read(prefix)` on the newest checkpoint in `directory` (or exactly `only`) that reads: one raising
    `unreadable` (truncated, corrupt) is named and skipped, never deleted. Returns (prefix, what read returned),
    or (None, None) when the directory holds none. The one fallback rule of the training loop, the TF1 loop and
    eval."""
    from zoo.checkpoints import CheckpointError

    candidates = [only] if only else checkpoints_newest_first(directory)
    for prefix in candidates:
        try:
            result = read(prefix)
        except unreadable as e:
            reason = (getattr(e, "message", None) or str(e)).strip().splitlines()[0][:200]
            if only:
                raise CheckpointError(f"Checkpoint {prefix} cannot be read ({reason}): truncated or corrupt; copy "
                                      "it again.") from None
            log(f"checkpoint {prefix} is unreadable ({reason}); falling back to the one before it")
            continue
        if prefix != candidates[0]:
            log(f"using {prefix}, the newest readable checkpoint (newer ones are left as they are)")
        return prefix, result
    if candidates:
        raise CheckpointError(f"No checkpoint in {directory} can be read ({len(candidates)} tried, all corrupt). "
                              "Move the directory away to start afresh, or restore it from a backup.")
    return None, None


def restore_newest_readable(checkpoint, directory: str, log: Callable[[str], None] = print, only: str | None = None,
                            partial: bool = False) -> str | None:
    """Restore `checkpoint` (a tf.train.Checkpoint) from the newest readable checkpoint in `directory` (or exactly
    `only`; see `read_newest`). `partial`: the checkpoint may hold more (an optimizer) than is restored. Returns
    the prefix used, or None when the directory holds none."""
    import tensorflow as tf

    from zoo.checkpoints import CheckpointError

    def restore(prefix):
        try:
            status = checkpoint.restore(prefix)
            (status.expect_partial() if partial else status).assert_existing_objects_matched()
        except (AssertionError, ValueError) as e:  # unmatched objects, or a variable of another shape
            raise CheckpointError(
                f"{prefix} does not fit the model this config builds ({str(e).strip().splitlines()[0][:200]}). "
                "A workdir holds one experiment: run with the config it was trained with, or a new "
                "--workdir.") from None

    # IndexError: "Read less bytes than requested" (a truncated shard)
    return read_newest(directory, restore, (tf.errors.OpError, IndexError), log, only)[0]
