"""Download, verify and unpack published weight tarballs into a cache, never leaving anything half-done.

Layout under `$ZOO_HOME` (default ~/.cache/zoo): `downloads/<file>` (the verified tarball, with
`<file>.sha256` holding its hash) and `weights/<entry name>/` (its members). Every write goes to a temporary
name first and is renamed into place, so an interrupted download or extraction leaves no entry behind.
"""
import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

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
    """A one-line progress bar on stderr (only when it is a terminal, or when forced)."""

    def __init__(self, label, total, enabled):
        self.label, self.total, self.enabled, self.last = label, total, enabled, 0.0

    def update(self, done, final=False):
        if not self.enabled or (not final and time.time() - self.last < 0.2):
            return
        self.last = time.time()
        if self.total:
            width = 30
            filled = int(width * done / self.total)
            bar = f"[{'#' * filled}{'.' * (width - filled)}] {100 * done / self.total:5.1f}%"
        else:
            bar = ""
        sys.stderr.write(f"\r{self.label} {bar} {done / 1e6:.1f} MB")
        if final:
            sys.stderr.write("\n")
        sys.stderr.flush()


def download(url, dest, sha256=None, progress=None, timeout=60):
    """Fetch `url` to `dest` through a temporary file; verify length and sha256; rename atomically.

    Returns dest's sha256. With sha256=None the hash of the first download is recorded beside `dest`
    (`dest.sha256`) and later uses are checked against it."""
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    progress = sys.stderr.isatty() if progress is None else progress
    fd, part = tempfile.mkstemp(prefix=os.path.basename(dest) + ".", suffix=".part", dir=os.path.dirname(dest))
    digest, done = hashlib.sha256(), 0
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=timeout)
            except (urllib.error.URLError, OSError) as e:
                raise DownloadError(f"Could not download {url}: {e}. Check the network, or download it "
                                    f"yourself and pass pretrained=<path to the tarball>.") from None
            with response:
                total = int(response.headers.get("Content-Length") or 0)
                bar = _Progress(f"Downloading {os.path.basename(dest)}", total, progress)
                try:
                    for block in iter(lambda: response.read(CHUNK), b""):
                        out.write(block)
                        digest.update(block)
                        done += len(block)
                        bar.update(done)
                except (OSError, http.client.HTTPException) as e:
                    raise DownloadError(f"Download of {url} broke off after {done} bytes ({e}); "
                                        "nothing was kept — run again to retry.") from None
                bar.update(done, final=True)
        if total and done != total:
            raise DownloadError(f"Download of {url} is truncated: {done} of {total} bytes; nothing was kept — "
                                "run again to retry.")
        got = digest.hexdigest()
        if sha256 and got != sha256:
            raise HashMismatchError(f"{url} has sha256 {got}, the manifest expects {sha256}. The file was "
                                    "discarded; the server may serve a different or corrupt file.")
        _write_text(dest + ".sha256", got + "\n")  # first: a tarball never appears without its hash
        os.replace(part, dest)
        return got
    finally:
        if os.path.exists(part):
            os.remove(part)


def _write_text(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


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
    tmp = tempfile.mkdtemp(prefix=os.path.basename(target) + ".", suffix=".extracting", dir=os.path.dirname(target))
    try:
        try:
            with tarfile.open(tarball) as archive:
                members = check_members(archive, tarball)
                kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                archive.extractall(tmp, members=members, **kwargs)
        except (tarfile.TarError, EOFError, OSError) as e:
            raise UnsafeArchiveError(f"{tarball} is not a readable tar archive ({e}); delete it and "
                                     "download again.") from None
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
