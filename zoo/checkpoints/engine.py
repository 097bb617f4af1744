"""The one mapping engine: match a TF1 checkpoint's keys against a model's variables by slim name.

Every implementation exposes its variables as ``{slim_name: variable}`` (native models through
`zoo.checkpoints.mapping.SlimMapping`, the shim and the slim graph by their own variable names), so
loading is always: plan (pure: names and shapes in, report and arrays out), then assign.
"""
import dataclasses
import re
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from zoo.checkpoints.io import ArrayReader, CheckpointError, CheckpointReader
from zoo.slim_names import under

EMA_SUFFIX = "/ExponentialMovingAverage"

# Checkpoint keys a model never consumes, by what wrote them. First match wins.
_KEY_CATEGORIES = (
    ("moving-average shadow", re.compile(r"/ExponentialMovingAverage$")),
    ("optimizer slot: Momentum", re.compile(r"/Momentum$")),
    ("optimizer slot: RMSProp", re.compile(r"/RMSProp(_1)?$")),
    ("optimizer slot: Adam", re.compile(r"(/Adam(_1)?$)|(^|/)beta[12]_power$")),
    ("optimizer slot: Adagrad", re.compile(r"/Adagrad$")),
    ("optimizer slot: Adadelta", re.compile(r"/Adadelta(_1)?$")),
    ("optimizer slot: Ftrl", re.compile(r"/Ftrl(_1)?$")),
    ("optimizer slot: Adamax/Nadam", re.compile(r"/(Adamax|Nadam)(_1)?$")),
    ("global_step", re.compile(r"(^|/)global_step$")),
)

HEAD_MODES = ("strict", "auto", "reinit")


def classify_key(key: str) -> str:
    """What wrote a checkpoint key the model does not use: an optimizer slot, an EMA shadow, ..."""
    for category, pattern in _KEY_CATEGORIES:
        if pattern.search(key):
            return category
    return "other"


class CheckpointMismatchError(CheckpointError):
    def __init__(self, report, message):
        self.report = report
        super().__init__(f"{message}\n{report}")


@dataclasses.dataclass
class LoadReport:
    checkpoint: str
    mapped: list = dataclasses.field(default_factory=list)        # (target, source, shape)
    missing: list = dataclasses.field(default_factory=list)       # targets with no source
    mismatched: list = dataclasses.field(default_factory=list)    # (target, source, target_shape, source_shape)
    excluded: list = dataclasses.field(default_factory=list)      # targets left initialised on purpose
    head: list = dataclasses.field(default_factory=list)          # (target, what was done)
    unexpected: dict = dataclasses.field(default_factory=dict)    # source -> category
    ema: list = dataclasses.field(default_factory=list)           # targets read from their EMA shadow
    nonfinite: dict = dataclasses.field(default_factory=dict)     # target -> count of NaN/inf values read

    @property
    def ok(self) -> bool:
        return not self.missing and not self.mismatched

    def unexpected_by_category(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for category in self.unexpected.values():
            counts[category] = counts.get(category, 0) + 1
        return dict(sorted(counts.items()))

    def __str__(self):
        lines = [f"checkpoint {self.checkpoint}: {len(self.mapped)} mapped, {len(self.missing)} missing, "
                 f"{len(self.mismatched)} shape mismatches, {len(self.excluded)} excluded, "
                 f"{len(self.unexpected)} unused checkpoint keys"]
        if self.ema:
            lines.append(f"  {len(self.ema)} values taken from {EMA_SUFFIX} shadows")
        for target, count in self.nonfinite.items():
            lines.append(f"  non-finite: {count} NaN/inf values in {target}")
        for target, what in self.head:
            lines.append(f"  head {target}: {what}")
        for target, source, tshape, sshape in self.mismatched:
            lines.append(f"  shape mismatch {target}: model {list(tshape)} vs checkpoint {source} {list(sshape)}")
        for target in self.missing[:20]:
            lines.append(f"  missing {target}")
        if len(self.missing) > 20:
            lines.append(f"  ... and {len(self.missing) - 20} more missing")
        for category, count in self.unexpected_by_category().items():
            lines.append(f"  unused: {count} x {category}")
        return "\n".join(lines)


def _apply_assignment_map(keys, assignment_map):
    """Checkpoint key -> target name, as `init_from_checkpoint`'s {'old_scope/': 'new_scope/'} or names."""
    if not assignment_map:
        return {k: k for k in keys}
    renamed = {}
    for key in keys:
        new = key
        for old, target in assignment_map.items():
            if old.endswith("/") and key.startswith(old):
                new = target + key[len(old):]
                break
            if key == old:
                new = target
                break
        renamed[key] = new
    return renamed


def plan_load(reader: Any, target_shapes: Mapping[str, Sequence[int]],
              **options: Any) -> Tuple["LoadReport", Dict[str, np.ndarray]]:
    """Match `reader`'s keys to `target_shapes` ({slim_name: shape}) and read the values to assign;
    returns (report, {target: array}). Options as `match_keys`."""
    reader = as_reader(reader)
    report, plan = match_keys(reader, target_shapes, **options)
    values = {}
    for target, (source, cut) in plan.items():
        value = reader.get(source)
        values[target] = value[..., cut] if cut is not None else value
        if np.issubdtype(np.asarray(value).dtype, np.floating) and not np.isfinite(value).all():
            report.nonfinite[target] = int(np.size(value) - np.isfinite(value).sum())
    if report.nonfinite and options.get("strict", True):
        raise CheckpointMismatchError(
            report, f"Checkpoint {reader.prefix!r} holds {sum(report.nonfinite.values())} NaN/inf values in "
                    f"{len(report.nonfinite)} variables (e.g. {next(iter(report.nonfinite))}): it was saved by a "
                    "run that diverged. Load an earlier checkpoint (strict=False loads it anyway).")
    return report, values


def as_reader(reader: Any) -> Union[CheckpointReader, ArrayReader]:
    """A reader as given, or a `CheckpointReader` of a path."""
    return reader if isinstance(reader, (CheckpointReader, ArrayReader)) else CheckpointReader(reader)


def match_keys(reader, target_shapes, *, exclude_scopes=(), ignore_missing_vars=False, use_ema=False,
               assignment_map=None, head_scopes=(), head="strict", strict=True):
    """The pure half of loading: names and shapes in, (report, {target: (source key, slice)}) out; reads
    no values, so it also judges a checkpoint whose data shard is absent.

    head: what to do when a classifier variable under `head_scopes` differs only in its class count:
      "strict" — an error; "auto" — 1001 -> 1000 drops the background row (slim's labels_offset=1),
      any other count leaves the head freshly initialised; "reinit" — always leave the head initialised.
    Raises CheckpointMismatchError (carrying the report) when strict and anything is missing or mismatched.
    """
    if head not in HEAD_MODES:
        raise ValueError(f"head={head!r}; choose one of {HEAD_MODES}")
    reader = as_reader(reader)
    report = LoadReport(checkpoint=reader.prefix)
    renamed = _apply_assignment_map(reader.keys(), assignment_map)
    source_of = {target: key for key, target in renamed.items()}
    used: set = set()
    plan: Dict[str, Tuple[str, Optional[slice]]] = {}

    for target in sorted(target_shapes):
        tshape = tuple(target_shapes[target])
        if under(target, exclude_scopes):
            report.excluded.append(target)
            continue
        source = source_of.get(target)
        if source is None:
            report.missing.append(target)
            continue
        sources = {source}
        if use_ema and source + EMA_SUFFIX in reader:
            sources.add(source + EMA_SUFFIX)
            report.ema.append(target)
            source = source + EMA_SUFFIX
        sshape = reader.shapes[source]
        if sshape == tshape:
            plan[target] = (source, None)
            report.mapped.append((target, source, tshape))
            used |= sources
            continue
        is_head = under(target, head_scopes) and sshape[:-1] == tshape[:-1]
        if is_head and head == "auto" and sshape[-1] == tshape[-1] + 1:
            plan[target] = (source, slice(1, None))
            report.mapped.append((target, source, tshape))
            report.head.append((target, f"dropped the background class ({sshape[-1]} -> {tshape[-1]})"))
            used |= sources
        elif is_head and head in ("auto", "reinit"):
            report.head.append((target, f"freshly initialised (checkpoint has {sshape[-1]} classes, "
                                        f"model {tshape[-1]})"))
        else:
            report.mismatched.append((target, source, tshape, sshape))
            used |= sources
    if head == "reinit":
        for target in [t for t in plan if under(t, head_scopes)]:
            used -= {plan.pop(target)[0], source_of[target]}
            report.mapped = [m for m in report.mapped if m[0] != target]
            report.head.append((target, "freshly initialised (head='reinit')"))

    reinitialised = {target for target, _ in report.head} - set(plan)
    for key in reader.keys():
        if key not in used:
            target = renamed.get(key)
            kind = classify_key(key)
            report.unexpected[key] = ("excluded scope" if kind == "other" and under(target, exclude_scopes) else
                                      "head not loaded" if target in reinitialised else kind)

    if strict:
        _raise_if_wrong(report, target_shapes, reader, ignore_missing_vars, head_scopes)
    return report, plan


def _raise_if_wrong(report, target_shapes, reader, ignore_missing_vars, head_scopes):
    missing = [] if ignore_missing_vars else report.missing
    if not missing and not report.mismatched:
        return
    if len(report.mapped) + len(report.mismatched) == 0 and target_shapes:
        roots = sorted({k.split("/")[0] for k in reader.keys() if classify_key(k) == "other"})
        model_roots = sorted({k.split("/")[0] for k in target_shapes})
        raise CheckpointMismatchError(
            report, f"Checkpoint {reader.prefix!r} shares no variable with this model: it holds scopes "
                    f"{roots[:5]}, the model expects {model_roots}. It is probably another architecture; "
                    "`python -m zoo inspect` names it, or pass assignment_map= if only the scope was renamed.")
    heads = [m for m in report.mismatched if under(m[0], head_scopes)]
    if heads and len(heads) == len(report.mismatched) and not missing:
        t, _, tshape, sshape = heads[0]
        raise CheckpointMismatchError(
            report, f"Wrong number of classes: the checkpoint's head has {sshape[-1]}, the model {tshape[-1]}. "
                    f"Pass num_classes={sshape[-1]} (CLI: --num-classes) to use its classifier, or head='auto' "
                    "(--head auto) to drop the background class (1001 -> 1000) or start a fresh head for "
                    "another class count.")
    problems = []
    if report.mismatched:
        problems.append(f"{len(report.mismatched)} variables with the wrong shape")
    if missing:
        problems.append(f"{len(missing)} model variables absent from the checkpoint")
    raise CheckpointMismatchError(
        report, f"Checkpoint {reader.prefix!r} does not fit the model: {', '.join(problems)}. Use "
                "exclude_scopes= for layers you mean to train afresh, or ignore_missing_vars=True.")
