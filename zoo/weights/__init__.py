"""Pretrained weights: the manifest, the download cache, and `locate` (pretrained= → a checkpoint to load)."""
import dataclasses
import glob
import os
import tarfile

from zoo.weights.cache import (DownloadError, HashMismatchError, UnsafeArchiveError, extract, fetch_entry,
                               sha256_of, zoo_home)
from zoo.weights.manifest import (ManifestError, entries, list_pretrained, register_weights, resolve,
                                  unregister_weights)

__all__ = ["DownloadError", "HashMismatchError", "ManifestError", "Pretrained", "UnsafeArchiveError", "entries",
           "find_checkpoint", "list_pretrained", "locate", "register_weights", "resolve", "unregister_weights",
           "zoo_home"]


@dataclasses.dataclass
class Pretrained:
    """What `pretrained=` resolved to: a checkpoint (or frozen graph) and the manifest entry, if any."""
    checkpoint: str = None
    frozen_graph: str = None
    entry: dict = None


def find_checkpoint(directory, prefix=None):
    """The checkpoint prefix in an unpacked release: `prefix` when given and present, else the only one."""
    if prefix:
        path = os.path.join(directory, prefix)
        if os.path.exists(path + ".index") or os.path.isfile(path):
            return path
    found = sorted({p[:-len(".index")] for p in glob.glob(os.path.join(directory, "**", "*.index"), recursive=True)})
    found += sorted(p for p in glob.glob(os.path.join(directory, "**", "*.ckpt"), recursive=True)
                    if os.path.isfile(p))  # TF1 V1-format single-file checkpoints (the 2016 releases)
    if len(found) == 1:
        return found[0]
    members = sorted(os.path.relpath(p, directory) for p in glob.glob(os.path.join(directory, "**"), recursive=True))
    raise ManifestError(f"{directory} holds {len(found)} checkpoints{f' and no {prefix!r}' if prefix else ''}; "
                        f"its files: {members[:20]}. Pass pretrained=<the checkpoint prefix> instead.")


def locate(architecture, pretrained, progress=None):
    """Resolve `pretrained` (True, a tag, an entry name, or a local tarball / checkpoint / frozen .pb path)."""
    if isinstance(pretrained, str) and (os.path.exists(pretrained) or os.path.exists(pretrained + ".index")):
        path = pretrained
        if path.endswith(".pb"):
            return Pretrained(frozen_graph=path)
        if os.path.isfile(path) and tarfile.is_tarfile(path):
            target = os.path.join(zoo_home(), "weights", "local-" + sha256_of(path)[:16])
            return Pretrained(checkpoint=find_checkpoint(extract(path, target)))
        return Pretrained(checkpoint=path)
    if isinstance(pretrained, str) and (os.sep in pretrained or pretrained.startswith(".") or
                                        pretrained.endswith((".tgz", ".tar.gz", ".tar", ".pb", ".ckpt"))):
        raise FileNotFoundError(f"pretrained={pretrained!r}: no such file, checkpoint prefix or directory.")
    if not (pretrained is True or isinstance(pretrained, str)):
        raise TypeError(f"pretrained= takes True, a tag or a path, not {pretrained!r}")
    entry = resolve(architecture, pretrained)
    if not entry["implemented"]:
        raise ManifestError(f"{entry['name']} is published but its architecture is not implemented in the zoo.")
    directory = fetch_entry(entry, progress=progress)
    return Pretrained(checkpoint=find_checkpoint(directory, entry["checkpoint"]), entry=entry)
