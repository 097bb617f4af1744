"""Download, verify and unpack published weight tarballs into a cache, never leaving anything half-done.

Layout under `$ZOO_HOME` (default ~/.cache/zoo): `downloads/<file>` (the verified tarball, with
`<file>.sha256` holding its hash) and `weights/<entry name>/` (its members). Every write goes to a temporary
name first and is renamed into place, so an interrupted download or extraction leaves no entry behind.
"""
import hashlib
import http.client
import os
import re
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

from zoo import fs
from zoo.ownership import OWNER_FILE, abandoned, owned, try_lock

CHUNK = 1 << 20


class DownloadError(IOError):
    pass


class HashMismatchError(DownloadError):
    pass


class UnsafeArchiveError(ValueError):
    pass


def zoo_home():
    return os.path.abspath(os.path.expanduser(os.environ.get("ZOO_HOME") or "~/.cache/zoo"))


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class _Progress:
    """Download progress on stderr: a bar redrawn in place on a terminal, else a line every 5 s (logs)."""

    def __init__(self, label, enabled, interactive):
        self.label, self.enabled, self.interactive = label, enabled, interactive
        self.total, self.last = 0, 0.0

    def update(self, done, final=False):
        every = 0.2 if self.interactive else 5.0
        if not self.enabled or (not final and time.time() - self.last < every):
            return
        self.last = time.time()
        if self.total:
            width = 30
            filled = int(width * done / self.total)
            bar = f"[{'#' * filled}{'.' * (width - filled)}] {100 * done / self.total:5.1f}% "
        else:
            bar = ""
        text = f"{self.label} {bar}{done / 1e6:.1f} MB" + (f" of {self.total / 1e6:.1f} MB" if self.total else "")
        sys.stderr.write(("\r" + text + ("\n" if final else "")) if self.interactive else text + "\n")
        sys.stderr.flush()

    def say(self, text):
        sys.stderr.write(("\n" if self.interactive and self.last else "") + text + "\n")
        sys.stderr.flush()


def _setting(name, default):
    return float(os.environ.get(name) or default)


class _Retry(Exception):
    """A transient failure: the connection broke, timed out or stalled; worth another attempt."""


def sweep_partials(directory):
    """Remove what killed downloads and extractions left (`NAME.PID-*.part`, `NAME.PID-*.extracting`); a live
    process's are left alone (it holds their lock: `zoo.ownership`)."""
    if not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        match = re.search(r"\.(\d+)-[^.]*\.(part|extracting)$", name)
        if match and abandoned(os.path.join(directory, name)):
            path = os.path.join(directory, name)
            shutil.rmtree(path, ignore_errors=True) if os.path.isdir(path) else os.remove(path)


def download(url, dest, sha256=None, progress=None, timeout=None, stall=None, retries=None):
    """Fetch `url` to `dest` through a temporary file; verify length and sha256; rename atomically.

    timeout: seconds a connect or a read may wait (ZOO_DOWNLOAD_TIMEOUT, 30); stall: seconds within which at
    least 1 KiB must arrive (ZOO_DOWNLOAD_STALL, 60) — a trickling server is a stalled one; retries: further
    attempts after a broken, timed-out or stalled transfer (ZOO_DOWNLOAD_RETRIES, 3; waits of 1, 2, 4 s times
    ZOO_DOWNLOAD_BACKOFF), each resuming where the last stopped (HTTP Range) when the server allows it. Progress goes to stderr (progress=False: silent).
    Returns dest's sha256. With sha256=None the hash of the first download is recorded beside `dest`
    (`dest.sha256`) and later uses are checked against it."""
    directory = os.path.dirname(dest)
    os.makedirs(directory, exist_ok=True)
    sweep_partials(directory)
    timeout = timeout or _setting("ZOO_DOWNLOAD_TIMEOUT", 30)
    stall = stall or _setting("ZOO_DOWNLOAD_STALL", 60)
    retries = int(_setting("ZOO_DOWNLOAD_RETRIES", 3) if retries is None else retries)
    bar = _Progress(f"Downloading {os.path.basename(dest)}", progress is not False, sys.stderr.isatty())
    fd, part = tempfile.mkstemp(prefix=f"{os.path.basename(dest)}.{os.getpid()}-", suffix=".part", dir=directory)
    state = {"digest": hashlib.sha256(), "done": 0}
    if bar.enabled:
        bar.say(f"Downloading {url} to {dest}")
    try:
        with os.fdopen(fd, "wb") as out:
            try_lock(out.fileno())  # held while this process writes it: a sweep leaves it alone
            for attempt in range(retries + 1):
                try:
                    _transfer(url, out, state, bar, timeout, stall)
                    break
                except _Retry as e:
                    if attempt == retries:
                        raise DownloadError(
                            f"Download of {url} failed after {retries + 1} attempts: {e}. Nothing was kept; check "
                            "the network and run again, or download it yourself and pass pretrained=<path to the "
                            "tarball>.") from None
                    wait = min(2.0 ** attempt, 10.0) * _setting("ZOO_DOWNLOAD_BACKOFF", 1)
                    bar.say(f"{os.path.basename(dest)}: {e}; retrying in {wait:.1f} s (attempt {attempt + 2} of "
                            f"{retries + 1}, resuming at byte {state['done']})")
                    time.sleep(wait)
        bar.update(state["done"], final=True)
        got = state["digest"].hexdigest()
        if sha256 and got != sha256:
            raise HashMismatchError(f"{url} has sha256 {got}, the manifest expects {sha256}. The file was "
                                    "discarded; the server may serve a different or corrupt file.")
        fs.write_text(dest + ".sha256", got + "\n")  # first: a tarball never appears without its hash
        os.replace(part, dest)
        return got
    finally:
        if os.path.exists(part):
            os.remove(part)


def _transfer(url, out, state, bar, timeout, stall):
    """One attempt: append to `out` from byte state["done"] (restarting when the server ignores Range)."""
    headers = {"Range": f"bytes={state['done']}-"} if state["done"] else {}
    try:
        response = urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code >= 500:
            raise _Retry(f"the server answered HTTP {e.code} {e.reason}") from None
        raise DownloadError(f"Could not download {url}: HTTP Error {e.code}: {e.reason}. Check the URL (or the "
                            "manifest entry), or download it yourself and pass pretrained=<path>.") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise _Retry(f"could not connect ({reason or type(e).__name__}; waited up to {timeout:g} s)") from None
    with response:
        if state["done"] and response.status != 206:  # no resume from this server: start over
            out.seek(0)
            out.truncate()
            state.update(digest=hashlib.sha256(), done=0)
        length = int(response.headers.get("Content-Length") or 0)
        total = state["done"] + length if length else 0
        bar.total = total
        mark_time, mark_bytes = time.monotonic(), state["done"]
        while True:
            try:
                block = response.read1(CHUNK)
            except (OSError, http.client.HTTPException) as e:
                raise _Retry(f"the transfer broke off after {state['done']} bytes ({e or type(e).__name__})") from None
            if not block:
                break
            out.write(block)
            state["digest"].update(block)
            state["done"] += len(block)
            bar.update(state["done"])
            now = time.monotonic()
            if state["done"] - mark_bytes >= 1024:
                mark_time, mark_bytes = now, state["done"]
            elif now - mark_time > stall:
                raise _Retry(f"the transfer stalled (under 1 KiB in {stall:g} s, at byte {state['done']})")
        out.flush()
        if total and state["done"] != total:
            raise _Retry(f"the transfer broke off: truncated at {state['done']} of {total} bytes")


def verified(path, sha256=None):
    """Whether a cached file is intact: against `sha256`, else against the hash recorded at download."""
    if not os.path.isfile(path):
        return False
    expected = sha256
    if expected is None and os.path.exists(path + ".sha256"):
        with open(path + ".sha256") as f:
            expected = f.read().strip()
    return expected is None or sha256_of(path) == expected


def check_members(archive, origin):
    """Regular files and directories only, all inside the target: no absolute paths, no `..`, no links."""
    safe = []
    for member in archive.getmembers():
        name = member.name
        parts = name.replace("\\", "/").split("/")
        if name.startswith(("/", "\\")) or os.path.isabs(name) or ".." in parts or (len(name) > 1 and name[1] == ":"):
            raise UnsafeArchiveError(f"{origin}: member {name!r} points outside the extraction directory; "
                                     "refusing to extract this archive.")
        if not (member.isfile() or member.isdir()):
            kind = "link" if (member.issym() or member.islnk()) else "special file"
            raise UnsafeArchiveError(f"{origin}: member {name!r} is a {kind}; weight tarballs hold regular "
                                     "files only, refusing to extract this archive.")
        safe.append(member)
    return safe


def extract(tarball, target):
    """Unpack `tarball` into directory `target` (all or nothing). Returns target."""
    if os.path.isdir(target):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    sweep_partials(os.path.dirname(target))
    tmp = tempfile.mkdtemp(prefix=f"{os.path.basename(target)}.{os.getpid()}-", suffix=".extracting",
                           dir=os.path.dirname(target))
    with owned(tmp):
        _extract_into(tarball, target, tmp)
    return target


def _extract_into(tarball, target, tmp):
    try:
        try:
            with tarfile.open(tarball) as archive:
                members = check_members(archive, tarball)
                kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                archive.extractall(tmp, members=members, **kwargs)
        except (tarfile.TarError, EOFError, OSError) as e:
            raise UnsafeArchiveError(f"{tarball} is not a readable tar archive ({e}); delete it and "
                                     "download again.") from None
        os.remove(os.path.join(tmp, OWNER_FILE))  # ours, not the archive's
        try:
            os.replace(tmp, target)
        except OSError:
            if not os.path.isdir(target):  # another process finished first otherwise
                raise
    finally:
        if os.path.isdir(tmp):
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def fetch_entry(entry, progress=None):
    """The extracted directory of a manifest entry, downloading and verifying as needed."""
    home = zoo_home()
    filename = os.path.basename(urllib.parse.urlparse(entry["url"]).path) or entry["name"] + ".tar.gz"
    tarball = os.path.join(home, "downloads", filename)
    target = os.path.join(home, "weights", entry["name"])
    intact = verified(tarball, entry["sha256"])
    if os.path.isdir(target) and intact:
        return target
    if os.path.isdir(target):  # the tarball it came from is gone or changed: unpack again from a verified one
        shutil.rmtree(target)
    if not intact:
        if os.path.exists(tarball):
            os.remove(tarball)
        download(entry["url"], tarball, entry["sha256"], progress=progress)
    extract(tarball, target)
    check_files(target, entry.get("files", {}))
    return target


def check_files(directory, hashes):
    """Members with known hashes (manifest `files`) must match; a mismatch removes the directory."""
    for relative, expected in hashes.items():
        path = os.path.join(directory, relative)
        if os.path.exists(path) and sha256_of(path) != expected:
            shutil.rmtree(directory, ignore_errors=True)
            raise HashMismatchError(f"{relative} in the downloaded archive does not have the published hash "
                                    f"{expected}; the archive was discarded.")
