"""Crash-safe writes in one place: everything is written beside its destination and renamed over it, so a failed or
killed writer leaves the old file (or directory) or the new one, never half of either.

- `replacing(path)` / `write_text(path, text)`: one file (results, hashes, state files, manifests).
- `replacing_item(path, sweep)`: a file or a directory (a SavedModel) replaced as a whole; an old directory is moved
  into a `.zoo-old-*` journal (`TARGET`, `item`) until the new one is in place (`roll_back_item` undoes it).
- `sweep(directory, roll_back)`: what killed writers left (`.zoo-tmp-*`, `.zoo-old-*` whose owner is gone,
  `zoo.ownership`) is removed, each journal first rolled back by `roll_back` (checkpoints add their own journal kind:
  `zoo.checkpoints.io.roll_back`).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import Callable, Iterator, Optional

from zoo.ownership import abandoned, owned

TMP, OLD = ".zoo-tmp-", ".zoo-old-"  # a new checkpoint/export being written; what an overwrite moved aside

RollBack = Callable[[str, str], Optional[str]]


def temporary_dir(directory: str, kind: str = TMP) -> str:
    """A fresh temporary directory in `directory`, named `KIND-PID-*` (the pid only tells people whose it is)."""
    return tempfile.mkdtemp(prefix=f"{kind}{os.getpid()}-", dir=directory)


@contextlib.contextmanager
def replacing(path: str) -> Iterator[str]:
    """Yield a temporary file name beside `path`; when the block succeeds it replaces `path` in one rename, when
    it fails it is removed."""
    directory, base = os.path.split(os.path.abspath(os.fspath(path)))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path: str, text: str) -> str:
    """`text` into `path`, atomically. Returns path."""
    with replacing(path) as tmp, open(tmp, "w") as f:
        f.write(text)
    return path


def roll_back_item(journal: str, directory: str) -> Optional[str]:
    """Put back the file or directory an interrupted `replacing_item` moved into `journal` (file `TARGET`: its name
    in `directory`; `item`: the old one), unless the new one is in place. Returns what was done."""
    target_file = os.path.join(journal, "TARGET")
    if not os.path.exists(target_file):
        return None
    with open(target_file) as f:
        target = f.read().strip()
    if target and not os.path.exists(os.path.join(directory, target)) and os.path.exists(os.path.join(journal, "item")):
        os.replace(os.path.join(journal, "item"), os.path.join(directory, target))
        return f"restored {os.path.join(directory, target)} (an overwrite of it was interrupted)"
    return None


def sweep(directory: str, roll_back: RollBack = roll_back_item) -> list:
    """Finish or undo what killed writers left in `directory`: their `.zoo-tmp-*` (a new checkpoint or export not
    yet in place) is removed; their `.zoo-old-*` journal (what an overwrite was replacing) is rolled back unless
    the new one is complete, then removed. Temporaries whose owner still runs are left alone
    (`zoo.ownership`). Returns what was done."""
    done: list = []
    if not os.path.isdir(directory):
        return done
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if not name.startswith((TMP, OLD)) or not os.path.isdir(path) or not abandoned(path):
            continue
        if name.startswith(OLD):
            restored = roll_back(path, directory)
            if restored:
                done.append(restored)
        shutil.rmtree(path, ignore_errors=True)
        done.append(f"removed {path}")
    return done


@contextlib.contextmanager
def replacing_item(path: str, sweep: Callable[[str], list] = sweep) -> Iterator[str]:
    """Yield a temporary path beside `path`; on success it replaces `path` (a directory or a file), so a failed or
    killed writer never leaves a half-written output or loses the previous one. `sweep` first clears what killed
    writers left in the directory (pass the checkpoints' when checkpoints may share it)."""
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    sweep(directory)
    work, journal = temporary_dir(directory), None
    with contextlib.ExitStack() as owner_locks:  # held until the temporaries are gone
        owner_locks.enter_context(owned(work))
        try:
            yield os.path.join(work, "out")
            if os.path.isdir(path) and not os.path.islink(path):  # a directory cannot be replaced in one rename
                journal = temporary_dir(directory, OLD)
                owner_locks.enter_context(owned(journal))
                write_text(os.path.join(journal, "TARGET"), os.path.basename(path))
                os.replace(path, os.path.join(journal, "item"))  # kept whole until the new one is in place
            os.replace(os.path.join(work, "out"), path)
        finally:
            if journal:
                roll_back_item(journal, directory)  # failed between the renames: the old one goes back
                shutil.rmtree(journal, ignore_errors=True)
            shutil.rmtree(work, ignore_errors=True)
