"""The benchmark's tables and chart, from result rows (zoo.bench.results.COLUMNS): per-model ratios with intervals, the
fastest way to run each model, and the verdict on each speed target of the benchmark."""
from zoo.bench.results import IMPLS, MODES, faster_native
from zoo.bench.stats import verdict

# The ways to run the zoo's own model (and its weights): keras.applications' counterparts are compared, not offered.
ZOO_PATHS = tuple(i for i in IMPLS if not i.endswith("applications"))


def _ratio_cell(row, key="ratio_to_slim_graph"):
    """'1.15 (1.05–1.24)': the median ratio and its 95 % interval (older results files: the ratio alone)."""
    low, high, rounds = ("ratio_ci_low", "ratio_ci_high", "rounds") if key == "ratio_to_slim_graph" else \
        (f"{key}_ci_low", f"{key}_ci_high", f"{key}_rounds")
    if row.get(low, "") == "" or row.get(rounds, 0) in ("", 0, 1):
        return f"{row[key]:.2f}"
    return f"{row[key]:.2f} ({row[low]:.2f}–{row[high]:.2f})"


def _measured(rows):
    """{(model, mode): {impl: row}} of the rows with a ratio to the slim graph."""
    cells = {}
    for r in rows:
        if r["ratio_to_slim_graph"] != "":
            cells.setdefault((r["model"], r["mode"]), {})[r["impl"]] = r
    return cells


def _gflops_per_second(row):
    """The arithmetic rate a row's step reaches (forward FLOPs only, so for inference rows), or ""."""
    if row.get("gflops_per_sample", "") == "" or row.get("step_ms_median", "") == "":
        return ""
    return row["gflops_per_sample"] * row["batch"] / (row["step_ms_median"] / 1e3)


def _cost_cell(row):
    """What a path costs in accuracy against the float model: top-1 agreement and the largest probability
    difference on the drift images, or "float32" for the float paths (which match the slim graph's logits)."""
    if row.get("top1_agreement", "") == "":
        return "float32" if row.get("precision", "float32") == "float32" else "not measured"
    return f"{100 * row['top1_agreement']:.0f} %, {row['max_probability_difference']:.3f}"


def fastest_table(rows):
    """Per model: the fastest measured way to run the zoo's model on this machine in each mode, against the slim
    graph, at what accuracy cost (top-1 agreement with the float model, max probability difference), and the slim
    graph's inference arithmetic rate (GFLOP/s: how close to the CPU's peak it already is)."""
    cells = _measured([r for r in rows if r["impl"] in ZOO_PATHS])
    modes = [m for m in MODES if any(mode == m for _, mode in cells)]
    lines = ["| model | " + " | ".join(f"{m}: fastest | × slim graph | accuracy cost" for m in modes)
             + " | slim graph inference GFLOP/s |", "|---|" + "---|---|---|" * len(modes) + "---|"]
    for model in dict.fromkeys(model for model, _ in cells):
        parts = []
        for mode in modes:
            best = max(cells.get((model, mode), {}).values(), key=lambda r: r["ratio_to_slim_graph"], default=None)
            parts += [best["impl"], _ratio_cell(best), _cost_cell(best)] if best else ["–", "–", "–"]
        rate = _gflops_per_second(cells.get((model, "inference"), {}).get("slim_graph", {}))
        parts.append(f"{rate:.0f}" if rate != "" else "–")
        lines.append(f"| {model} | " + " | ".join(parts) + " |")
    return "\n".join(lines)


def cost_table(rows):
    """Inference, one line per model and path: its precision, throughput against the slim graph (interval), and
    its accuracy cost against the float model (top-1 agreement, largest probability difference); a path that did
    not run (a failed conversion) says why."""
    lines = ["| model | path | precision | × slim graph | top-1 agreement | max probability difference |",
             "|---|---|---|---|---|---|"]
    cells = {}
    for r in rows:
        if r["mode"] == "inference" and r["impl"] != "slim_graph":
            cells.setdefault(r["model"], {})[r["impl"]] = r
    for model, impls in cells.items():
        for impl in (i for i in IMPLS if i in impls):
            r = impls[impl]
            if r["ratio_to_slim_graph"] == "":
                lines.append(f"| {model} | {impl} | {r['precision']} | {r['note'] or 'not measured'} | – | – |")
                continue
            agreement, difference = (("–", "–") if r.get("top1_agreement", "") == "" else
                                     (f"{100 * r['top1_agreement']:.0f} %", f"{r['max_probability_difference']:.4f}"))
            lines.append(f"| {model} | {impl} | {r['precision']} | {_ratio_cell(r)} | {agreement} | {difference} |")
    return "\n".join(lines)


def _numeric(value):
    return value if isinstance(value, (int, float)) else 0


def _target_rows(rows):
    """(target, [(cell name, verdict, shown value)]) for each speed target, over every measured model and mode."""
    judged = {"native (faster of native_function, keras3_tensorflow) ≥ 1.00× slim graph, interval low ≥ 0.95": [],
              "shim_function ≥ 0.95× slim graph": [], "the zoo's fastest inference path ≥ 1.30× slim graph": [],
              "native ≥ 1.10× keras.applications (each)": []}
    native_t, shim_t, fast_t, apps_t = judged
    # One round has no interval: such cells are left out (the run cannot judge them).
    for (model, mode), impls in _measured([r for r in rows if _numeric(r.get("rounds")) >= 2]).items():
        name = f"{model} {mode}"
        n = faster_native(impls)
        if n:  # the rule: at least 1.00, and the interval's low end at least 0.95
            ok = n["ratio_to_slim_graph"] >= 1.0 and n["ratio_ci_low"] >= 0.95
            judged[native_t].append((name, "meets" if ok else verdict(n["ratio_ci_low"], n["ratio_ci_high"], 1.0),
                                     _ratio_cell(n)))
        if "shim_function" in impls:
            r = impls["shim_function"]
            judged[shim_t].append((name, verdict(r["ratio_ci_low"], r["ratio_ci_high"], 0.95), _ratio_cell(r)))
        if mode == "inference":
            r = max((r for i, r in impls.items() if i in ZOO_PATHS), key=lambda r: r["ratio_to_slim_graph"])
            judged[fast_t].append((f"{model} ({r['impl']})", verdict(r["ratio_ci_low"], r["ratio_ci_high"], 1.3),
                                   _ratio_cell(r)))
        for impl in ("keras_applications", "keras3_applications"):
            r = impls.get(impl)
            if r and _numeric(r.get("native_speedup_rounds")) >= 2:
                judged[apps_t].append((f"{name} vs {impl}", verdict(r["native_speedup_ci_low"],
                                                                    r["native_speedup_ci_high"], 1.10),
                                       _ratio_cell(r, "native_speedup")))
    return judged.items()


def targets_table(rows):
    """Each target: how many cells meet it (whole interval at or above), cannot tell (the interval straddles it:
    within noise), or miss it (whole interval below), and which miss."""
    lines = ["| target | meets | within noise | misses | the misses |", "|---|---|---|---|---|"]
    for target, cells in _target_rows(rows):
        count = {v: sum(1 for _, verdict_, _ in cells if verdict_ == v) for v in ("meets", "within noise", "misses")}
        misses = ", ".join(f"{name} {value}" for name, v, value in cells if v == "misses") or "–"
        lines.append(f"| {target} | {count['meets']} | {count['within noise']} | {count['misses']} | {misses} |")
    return "\n".join(lines)


def ratio_table(rows):
    """One line per model and mode: the slim graph's step time, then each implementation's throughput ratio
    with its interval."""
    impls = [i for i in IMPLS if i != "slim_graph" and any(r["impl"] == i for r in rows)]
    lines = ["| model | mode | slim graph ms/step | " + " | ".join(impls) + " |", "|" + "---|" * (3 + len(impls))]
    for model in dict.fromkeys(r["model"] for r in rows):
        for mode in MODES:
            cells = {r["impl"]: r for r in rows if r["model"] == model and r["mode"] == mode}
            if cells.get("slim_graph", {}).get("step_ms_median", "") == "":
                continue  # no baseline measured: no ratios
            ratios = [_ratio_cell(cells[i]) if i in cells and cells[i]["ratio_to_slim_graph"] != "" else "–"
                      for i in impls]
            lines.append(f"| {model} | {mode} | {cells['slim_graph']['step_ms_median']:.1f} | " + " | ".join(ratios)
                         + " |")
    return "\n".join(lines)


def machines_note(rows):
    """Which machines the rows were measured on (rows of earlier runs may predate the column)."""
    counts = {}
    for r in rows:
        key = r.get("machine") or "not recorded"
        counts[key] = counts.get(key, 0) + 1
    return "Measured on: " + "; ".join(f"{m} ({n} rows)" for m, n in counts.items())


def format_table(rows):
    cols = ("model", "impl", "mode", "samples_per_sec", "step_ms_median", "step_ms_p10", "step_ms_p90",
            "first_call_s", "ratio_to_slim_graph", "peak_memory_mb", "note")
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def plot(rows, path):
    """Bar chart: each implementation's throughput relative to the slim graph, per model and mode."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install matplotlib") from None
    modes = sorted({r["mode"] for r in rows})
    models_count = len({r["model"] for r in rows})
    fig, axes = plt.subplots(len(modes), 1, figsize=(max(14, 0.6 * models_count), 6 * len(modes)), squeeze=False)
    for ax, mode in zip(axes[:, 0], modes):
        sub = [r for r in rows if r["mode"] == mode and r["ratio_to_slim_graph"] != ""]
        models = list(dict.fromkeys(r["model"] for r in sub))
        impls = list(dict.fromkeys(r["impl"] for r in sub))
        width = 0.8 / max(len(impls), 1)
        for i, impl in enumerate(impls):
            xs, ys, errors = [], [], [[], []]
            for m, model in enumerate(models):
                for r in sub:
                    if r["model"] == model and r["impl"] == impl:
                        xs.append(m + i * width)
                        ys.append(r["ratio_to_slim_graph"])
                        low, high = r.get("ratio_ci_low", ""), r.get("ratio_ci_high", "")
                        errors[0].append(ys[-1] - low if low != "" else 0.0)
                        errors[1].append(high - ys[-1] if high != "" else 0.0)
            ax.bar(xs, ys, width, label=impl, yerr=errors, error_kw={"elinewidth": 0.6, "capsize": 0})
        ax.axhline(1.0, color="black", linewidth=0.8)
        ax.set_xticks([m + 0.4 - width / 2 for m in range(len(models))])
        ax.set_xticklabels(models, rotation=30, ha="right")
        ax.set_ylabel("throughput / slim graph (95 % interval)")
        ax.set_title(f"{mode}, batch {sub[0]['batch'] if sub else ''}, CPU")
        ax.legend(fontsize=8, ncol=3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
