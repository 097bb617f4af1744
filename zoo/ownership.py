"""Whether a temporary (a half-written checkpoint, export, download) or a workdir still has a live owner.

Its owner holds an exclusive `flock` on a file inside it (or on the file itself) while it works; the kernel drops
the lock when the process ends, `kill -9` included. So "abandoned" never mistakes a reused pid (PID 1 again in a
restarted container) for the owner, and works across hosts on filesystems that support locks. Names carry the pid
only to tell people whose it was.
"""
import contextlib
import fcntl
import os
import time

OWNER_FILE = ".owner"


def try_lock(fd) -> bool:
    """Take an exclusive lock on the open file `fd` without waiting; False when another process holds it."""
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False


@contextlib.contextmanager
def owned(directory):
    """Hold the owner lock of `directory` (a temporary this process is filling) until the block ends."""
    fd = os.open(os.path.join(directory, OWNER_FILE), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try_lock(fd)
        yield
    finally:
        os.close(fd)


def abandoned(path) -> bool:
    """True when no live process owns `path`: a directory whose owner file is unlocked (or absent: its creator
    died before writing it), or a file nobody holds a lock on."""
    target = os.path.join(path, OWNER_FILE) if os.path.isdir(path) else path
    try:
        fd = os.open(target, os.O_RDONLY)
    except FileNotFoundError:  # a directory whose creator died before its owner file, unless just created
        return os.path.isdir(path) and time.time() - os.path.getmtime(path) > 60
    try:
        return try_lock(fd)
    finally:
        os.close(fd)  # releases the lock taken to look
