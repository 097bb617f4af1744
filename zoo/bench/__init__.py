"""`python -m zoo bench`: slim graph vs shim (eager, tf.function) vs tf_keras native (tf.function, XLA, bfloat16)
vs the Keras 3 native on the TensorFlow, JAX and PyTorch backends vs keras.applications, inference and training.

Each model x implementation runs in its own process (memory isolation; nothing shared between implementations),
built and warmed up one at a time, and kept alive over the rounds (zoo.bench.cell_process); every round asks all
implementations back to back in a rotated order, so that each ratio to the slim graph compares measurements taken
side by side on a noisy machine. A round measures at least `iters` steps and keeps going until `seconds` of steps
are measured. Ratios are computed per round; the median over rounds is reported with a bootstrap 95 % interval
(zoo.bench.stats). `budget` bounds the whole run: rounds not started when it runs out are reported as not run.
All of a model's implementations are alive at once: their peak memories add up.
"""
import os
import statistics
import time

from zoo.bench.report import (cost_table, fastest_table, format_table, machines_note, plot, ratio_table,  # noqa: F401
                              targets_table)
from zoo.bench.results import (BUDGET_SKIP, COLUMNS, IMPLS, INFERENCE_ONLY, MODES, TF_NATIVES,  # noqa: F401
                               cell_precision, faster_native, read_results, write_results)
from zoo.bench.stats import ratio_interval, round_ratios



def check_impls(impls):
    unknown = [i for i in impls if i not in IMPLS]
    if unknown:
        raise ValueError(f"Unknown bench impls {unknown}; choose from {list(IMPLS)}.")


def _known_skip(args):
    """Cells that cannot run, answered without starting a process."""
    from zoo.bench.worker import KERAS_APPLICATIONS

    if args["impl"] in INFERENCE_ONLY and args["mode"] == "train":
        return {"skipped": f"{INFERENCE_ONLY[args['impl']]} runs inference only"}
    if args["impl"].endswith("applications") and args["model"] not in KERAS_APPLICATIONS:
        return {"skipped": f"keras.applications has no {args['model']}"}
    return None


def machine() -> str:
    """The CPU, how many this process may use, their widest vector extension and the oneDNN setting: the rows of
    one results file may come from different sessions, and the cloud hands out different CPUs (ratios are side by
    side within a model's run; absolute times and the peak-FLOP/s ceiling are the CPU's)."""
    import platform

    cpu, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo") as f:
            info = dict((key.strip(), value.strip()) for key, value in
                        (line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines() if ":" in line))
        cpu, flags = info.get("model name", cpu), set(info.get("flags", "").split())
    except OSError:
        pass
    isa = next((name for flag, name in (("avx512_bf16", "AVX-512 + BF16"), ("avx512f", "AVX-512"),
                                         ("avx2", "AVX2")) if flag in flags), "")
    onednn = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default")
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{cpu}, {cpus} CPUs, {isa or 'ISA unknown'}; oneDNN opts {onednn}"


def _percentile(values, q):
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def run(models, impls=IMPLS, modes=MODES, batch_size=8, image_size=0, precision="float32", warmup=3, iters=5,
        rounds=5, seconds=2.0, budget=0.0, log=print, done=(), save=None):
    """Measure and return one row per model x impl x mode (dicts with COLUMNS). `budget` (seconds, 0: none)
    bounds the whole run. `done`: rows of an earlier run, kept; a model and mode they hold complete (every impl
    asked for, measured at this batch, size and precision, none cut by the budget) is not measured again, an
    incomplete one is measured again and its old rows dropped. `save(rows)` is called after each model and mode
    with every row so far, so that an interrupted run keeps what it measured."""
    import zoo

    check_impls(impls)
    if rounds < 1:
        raise ValueError(f"rounds={rounds!r}: at least one round is needed (two for an interval)")
    deadline = time.monotonic() + budget if budget else None
    impls = list(impls)
    if "slim_graph" not in impls:
        impls.insert(0, "slim_graph")  # the baseline every ratio refers to
    rows = list(done)
    for model in models:
        spec = zoo.get_spec(model)
        size = image_size or spec.image_size
        for mode in modes:
            old = [r for r in rows if (r["model"], r["mode"]) == (model, mode)]
            if old and _complete(old, impls, batch_size, size, precision):
                continue
            rows = [r for r in rows if r not in old]
            base = dict(model=model, mode=mode, batch_size=batch_size, image_size=size, precision=precision,
                        warmup=warmup, iters=iters, seconds=seconds)
            cells = _measure_rounds(base, impls, rounds, deadline, log)
            rows += _aggregate(model, mode, batch_size, size, precision, impls, cells)
            if save:
                save(rows)
    return rows


def _complete(old, impls, batch_size, size, precision):
    """Whether an earlier run's rows of one model and mode answer this run's question."""
    have = {r["impl"]: r for r in old}
    return all(impl in have and have[impl]["batch"] == batch_size and have[impl]["image_size"] == size
               and BUDGET_SKIP not in str(have[impl]["note"])
               and have[impl]["precision"] == cell_precision(impl, precision) for impl in impls)


def _over(deadline):
    return deadline is not None and time.monotonic() > deadline


def _measure_rounds(base, impls, rounds, deadline, log):
    """{impl: [one result dict per round]}: each implementation's process started and warmed up in turn, then
    `rounds` rotated rounds over the live processes."""
    from zoo.bench.cell_process import CellProcess

    tag = f"[{base['model']} {base['mode']}]"
    ready, workers = {}, {}
    try:
        # Converters peak at several times the model's size (TFLite's, VGG-16: killed for memory with the seven other
        # cells alive): each runs in a process of its own that ends before the cell measures (worker._export), and
        # first, while nothing else holds memory; the rounds' order is unchanged.
        for impl in sorted(impls, key=lambda i: i not in INFERENCE_ONLY):
            args = dict(base, impl=impl)
            ready[impl] = _known_skip(args) or ({"skipped": BUDGET_SKIP} if _over(deadline) else None)
            if ready[impl] is None:
                workers[impl] = CellProcess(args)
                ready[impl] = workers[impl].start()
                if "error" in ready[impl]:
                    workers.pop(impl).close()
            what = ready[impl].get("error") or ready[impl].get("skipped") or \
                f"built in {ready[impl]['build_seconds']:.1f} s, first call {ready[impl]['first_call_seconds']:.2f} s"
            log(f"{tag} {impl}: {what}")
        cells = {impl: [] for impl in impls}
        for r in range(rounds):
            for impl in impls[r % len(impls):] + impls[:r % len(impls)]:
                if impl not in workers:
                    result = ready[impl]
                elif _over(deadline):
                    result = {"skipped": BUDGET_SKIP}
                else:
                    result = workers[impl].measure()
                    if "error" not in result:
                        result = dict(ready[impl], **result)
                cells[impl].append(result)
                if impl in workers:
                    what = result.get("error") or result.get("skipped") or \
                        f"{statistics.median(result['step_seconds']) * 1e3:.1f} ms/step"
                    log(f"{tag} round {r + 1}/{rounds} {impl}: {what}")
        return cells
    finally:
        for worker in workers.values():
            worker.close()


def _aggregate(model, mode, batch, size, precision, impls, cells):
    base = cells["slim_graph"]
    gflops = next((c.get("gflops_per_sample") for c in base if "gflops_per_sample" in c), None)
    rows, host = [], machine()
    for impl in impls:
        results = cells[impl]
        row = dict.fromkeys(COLUMNS, "")
        row.update(model=model, impl=impl, mode=mode, batch=batch, image_size=size, machine=host,
                   precision=cell_precision(impl, precision),
                   gflops_per_sample=round(gflops, 3) if gflops else "")
        bad = [c.get("error") or c.get("skipped") for c in results if "step_seconds" not in c]
        results = [c for c in results if "step_seconds" in c]
        if bad and not results:
            row["note"] = bad[0]
            rows.append(row)
            continue
        if bad:  # the measured rounds count; the note says what happened to the others
            row["note"] = f"{len(bad)} round(s) {BUDGET_SKIP}" if bad[0] == BUDGET_SKIP else \
                f"{len(bad)} round(s) failed: {bad[0]}"
        steps = [t for c in results for t in c["step_seconds"]]
        median = statistics.median(steps)
        measured = [(b, c) for b, c in zip(base, cells[impl]) if "step_seconds" in b and "step_seconds" in c]
        ratios = round_ratios([b["step_seconds"] for b, _ in measured], [c["step_seconds"] for _, c in measured])
        if ratios:
            point, low, high = ratio_interval(ratios)
            row.update(ratio_to_slim_graph=round(point, 3), ratio_ci_low=round(low, 3), ratio_ci_high=round(high, 3))
        row["rounds"] = len(ratios)
        row.update(samples_per_sec=round(batch / median, 2), step_ms_median=round(median * 1e3, 2),
                   step_ms_p10=round(_percentile(steps, 0.1) * 1e3, 2),
                   step_ms_p90=round(_percentile(steps, 0.9) * 1e3, 2),
                   first_call_s=round(statistics.median(c["first_call_seconds"] for c in results), 3),
                   build_s=round(statistics.median(c["build_seconds"] for c in results), 3),
                   params=results[0]["params"],
                   peak_memory_mb=round(max(c["peak_memory_mb"] for c in results), 1))
        for key in ("top1_agreement", "max_probability_difference"):
            if key in results[0]:
                row[key] = round(results[0][key], 4)
        if "bf16_max_rel_logit_error" in results[0] and not row["note"]:
            row["note"] = (f"bf16 vs fp32 logits: max rel. error {results[0]['bf16_max_rel_logit_error']:.2e}, "
                           f"top-1 agreement {results[0]['bf16_top1_agreement']:.2f}")
        mapping = [c["mapping_seconds"] for c in results if "mapping_seconds" in c]
        if mapping:
            row["mapping_s"] = round(min(mapping), 3)
        rows.append(row)
    _native_speedups(rows, cells)
    return rows


def _native_speedups(rows, cells):
    """On each keras.applications row: the faster float32 TensorFlow-backend native's throughput over it, per
    round (both measured in the same round), with its interval and round count; the note names that native."""
    by_impl = {r["impl"]: r for r in rows}
    native = faster_native(by_impl)
    if native is None:
        return
    native = native["impl"]
    for impl in ("keras_applications", "keras3_applications"):
        pairs = [(a["step_seconds"], n["step_seconds"]) for a, n in zip(cells.get(impl, ()), cells[native])
                 if "step_seconds" in a and "step_seconds" in n]
        if not pairs:
            continue
        point, low, high = ratio_interval(round_ratios(*zip(*pairs)))
        by_impl[impl].update(native_speedup=round(point, 3), native_speedup_ci_low=round(low, 3),
                             native_speedup_ci_high=round(high, 3), native_speedup_rounds=len(pairs))
        by_impl[impl]["note"] = "; ".join(filter(None, (by_impl[impl]["note"], f"native_speedup: {native}")))
