"""The weights manifest: one entry per published weight set (timm's pretrained_cfg), validated by a schema.

Entries are named `architecture.tag` (`mobilenet_v1_025.imagenet_224`). `weights_manifest.json` at the
repository root is the source of truth; `$ZOO_MANIFEST` points elsewhere, `register_weights` adds entries
at run time (your own weight sets, or tests).
"""
import copy
import functools
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SCHEMA = os.path.join(HERE, "weights_manifest.schema.json")
DEFAULT_MANIFEST = os.path.join(HERE, "weights_manifest.json")

_extra = {}


class ManifestError(ValueError):
    pass


@functools.lru_cache(maxsize=None)
def _schema():
    with open(SCHEMA) as f:
        return json.load(f)


def validate(document, origin="manifest"):
    """Raise ManifestError naming the first schema violation (JSON path) and the file."""
    import jsonschema

    try:
        jsonschema.validate(document, _schema())
    except jsonschema.ValidationError as e:
        where = "/".join(str(p) for p in e.absolute_path) or "(top level)"
        raise ManifestError(f"{origin}: {where}: {e.message}") from None
    names = [e["name"] for e in document["weights"]]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ManifestError(f"{origin}: duplicated entry names {duplicated}")
    for entry in document["weights"]:
        if entry["name"].split(".")[0] != entry["architecture"]:
            raise ManifestError(f"{origin}: entry {entry['name']!r} must start with its architecture "
                                f"{entry['architecture']!r}")
    return document


@functools.lru_cache(maxsize=None)
def _load(path):
    try:
        with open(path) as f:
            document = json.load(f)
    except FileNotFoundError:
        raise ManifestError(f"No weights manifest at {path}; set $ZOO_MANIFEST to one.") from None
    except json.JSONDecodeError as e:
        raise ManifestError(f"{path} is not valid JSON ({e}).") from None
    return validate(document, path)


def manifest_path():
    return os.environ.get("ZOO_MANIFEST") or DEFAULT_MANIFEST


def entries():
    """{name: entry} of the manifest plus registered entries (copies; safe to modify)."""
    out = {e["name"]: e for e in _load(manifest_path())["weights"]}
    out.update(_extra)
    return copy.deepcopy(out)


def register_weights(entry):
    """Add (or replace) one weight set, validated like a manifest entry."""
    validate({"version": 1, "weights": [entry]}, f"entry {entry.get('name')!r}")
    _extra[entry["name"]] = copy.deepcopy(entry)


def unregister_weights(name):
    _extra.pop(name, None)


def list_pretrained(pattern="*", implemented_only=True):
    import fnmatch

    return sorted(n for n, e in entries().items()
                  if fnmatch.fnmatchcase(n, pattern) and (e["implemented"] or not implemented_only))


def resolve(architecture, tag=True):
    """The entry for `architecture` with `tag` (True: the architecture's default entry)."""
    known = entries()
    mine = {n: e for n, e in known.items() if e["architecture"] == architecture}
    unpublished = _load(manifest_path()).get("unpublished", {})
    if not mine and architecture in unpublished:
        raise ManifestError(f"No published weights for {architecture!r} ({unpublished[architecture]}); train it "
                            "(train.py) or pass pretrained=PATH for a local checkpoint or tarball.")
    if not mine:
        raise ManifestError(f"No published weights for {architecture!r} in the manifest; weights exist for "
                            f"{sorted({e['architecture'] for e in known.values()})}. Pass pretrained=PATH for "
                            "a local checkpoint or tarball.")
    if tag is True:
        defaults = [e for e in mine.values() if e["default"]]
        if len(defaults) != 1:
            raise ManifestError(f"{architecture!r} has {len(defaults)} default weight sets; pick one of "
                                f"{sorted(mine)}")
        return defaults[0]
    name = tag if "." in tag else f"{architecture}.{tag}"
    if name not in mine:
        raise ManifestError(f"No weights {name!r}; {architecture!r} has {sorted(mine)}")
    return mine[name]
