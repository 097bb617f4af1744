"""The one training driver, shared by the Keras path (zoo.training.loop) and the TF1 Session path
(zoo.training.tf1_loop): the step differs, the policy around it is decided here once — a non-finite step is
skipped or stops the run, progress is logged per window, only finite weights are checkpointed, and the run ends
in one results file."""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, SupportsFloat

import ml_collections

from zoo.errors import NonFiniteLossError
from zoo.fs import write_text

Log = Callable[[str], None]


class Steps(Protocol):
    """What a training path gives the driver: its step, its counters and its checkpoints."""

    label: str  # appended to each progress line, e.g. " [TF1 graph]"

    def run(self) -> tuple[bool, SupportsFloat]:
        """One step: (applied, loss). A step whose loss or gradients are not finite is not applied."""

    def global_step(self) -> int:
        """The number of applied steps (restored ones included)."""

    def window(self) -> tuple[float, float]:
        """Mean loss and top-1 of the steps since the last call; starts the next window."""

    def summarize(self, entry: dict) -> None:
        """Record a progress entry beside the log (TensorBoard), or nothing."""

    def nonfinite_weight(self) -> str | None:
        """The name of a variable holding NaN/inf, or None."""

    def save(self, step: int) -> None:
        """Write a checkpoint numbered `step`."""

    def newest(self) -> str | None:
        """The newest checkpoint: the last finite state, named when the run stops."""


@dataclass
class Run:
    """What the driver did: the step reached, the progress entries, the steps skipped, when it started."""

    steps: int
    history: list[dict] = field(default_factory=list)
    skipped: int = 0
    start: float = field(default_factory=time.time)


def check_skip(c: ml_collections.ConfigDict, step: int, loss: SupportsFloat, skipped: int, skipped_in_row: int,
               newest: str | None, log: Log) -> None:
    """A step whose loss or gradients are not finite was not applied: stop (on_nonfinite="stop", or too many
    in a row) with what to do, or say it was skipped."""
    what = f"step {step}: the loss ({float(loss):.4g}) or its gradients are not finite"
    if c.on_nonfinite == "stop" or skipped_in_row > c.skip_limit:
        why = "" if c.on_nonfinite == "stop" else f" ({skipped_in_row} steps in a row, skip_limit={c.skip_limit})"
        raise NonFiniteLossError(
            f"{what}{why}; training stopped without applying it. The newest checkpoint, {newest or '(none yet)'}, "
            f"holds the last finite state. Lower learning_rate (now {c.learning_rate}) and run again to resume "
            "from it" + (", or set on_nonfinite='skip'." if c.on_nonfinite == "stop" else "."))
    log(f"{what}; step skipped ({skipped} so far)")


def _save_finite(c: ml_collections.ConfigDict, step: int, steps: Steps) -> None:
    """Checkpoint only finite weights: a skipped step can still leave NaN in batch-norm statistics."""
    bad = steps.nonfinite_weight()
    if bad:
        raise NonFiniteLossError(
            f"step {step}: variable {bad} holds NaN/inf (e.g. batch-norm statistics updated by a skipped step); "
            f"not saved. The newest checkpoint, {steps.newest()}, is the last finite state; lower learning_rate "
            f"(now {c.learning_rate}) and resume.")
    steps.save(step)


def drive(c: ml_collections.ConfigDict, total_steps: int, steps: Steps, log: Log) -> Run:
    """Run `steps` until `total_steps` are applied, logging every `log_every` and checkpointing every
    `checkpoint_every` steps (and at the last one)."""
    run = Run(steps.global_step())
    window_start, window_step, skipped_in_row = time.time(), run.steps, 0
    while run.steps < total_steps:
        applied, loss = steps.run()
        if not applied:
            run.skipped, skipped_in_row = run.skipped + 1, skipped_in_row + 1
            check_skip(c, run.steps + 1, loss, run.skipped, skipped_in_row, steps.newest(), log)
            continue
        skipped_in_row = 0
        step = run.steps = steps.global_step()
        if step % c.log_every == 0 or step == total_steps:
            now = time.time()
            rate = (step - window_step) * c.batch_size / max(now - window_start, 1e-9)
            mean_loss, top1 = steps.window()
            entry = {"step": step, "loss": mean_loss, "top1": top1, "examples_per_sec": rate}
            run.history.append(entry)
            log(f"step {step}/{total_steps} ({100 * step / total_steps:.0f}%) loss {mean_loss:.4f} top-1 "
                f"{top1:.3f} {rate:.0f} examples/s{steps.label}")
            steps.summarize(entry)
            window_start, window_step = now, step
        if step % c.checkpoint_every == 0 or step == total_steps:
            _save_finite(c, step, steps)
    return run


def write_results(workdir: str, name: str, results: dict) -> None:
    """`workdir/name` as JSON, written whole or not at all (a kill never leaves half a results file)."""
    write_text(os.path.join(workdir, name), json.dumps(results, indent=2))


def log_eval(log: Log, what: str | None, metrics: dict) -> None:
    log(f"{what}: test top-1 {metrics['top1']:.4f} top-5 {metrics['top5']:.4f} loss {metrics['loss']:.4f}")


def finish(c: ml_collections.ConfigDict, workdir: str, run: Run, metrics: dict, checkpoint: str | None,
           log: Log) -> dict:
    """The run's results (also `workdir/results_train.json`); train_seconds counts from the driver's start
    through the final evaluation."""
    seconds = round(time.time() - run.start, 1)
    results = {"model": c.model, "impl": c.impl, "dataset": c.dataset, "steps": run.steps, "train_seconds": seconds,
               "eval": metrics, "history": run.history, "skipped_steps": run.skipped, "checkpoint": checkpoint}
    write_results(workdir, "results_train.json", results)
    log_eval(log, f"after {run.steps} steps ({seconds} s)", metrics)
    return results
