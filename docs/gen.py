"""Regenerates every generated part of the docs: the model table (README.md and docs/architectures.md) from the
registry and the weights manifest, the benchmark's tables, charts and quoted figures from the committed CSVs in
docs/, and the story's printed log from docs/story.log.

A generated part sits between `<!-- gen:NAME -->` and `<!-- /gen:NAME -->`; a single figure in a sentence sits in
`<!-- fig FILE ROWS WHAT -->VALUE<!-- /fig -->` (see `figure`). Everything else is written by hand, and may hold no
measured figure: a number with a unit of time, memory or speed, a ×-ratio, a percentage or a ratio interval outside
the markers fails the check (`hand_typed_figures`, with its short allowlist). tests/test_docs.py regenerates every
part in memory and fails when a committed one differs.

    python docs/gen.py            # rewrite the parts, figures and charts in place
    python docs/gen.py --check    # exit 1 naming the stale parts and charts, and hand-typed or unsourced figures

Charts are compared byte for byte: matplotlib's Agg PNGs carry no date, so the pinned matplotlib redraws the same
bytes.
"""
import argparse
import csv
import fnmatch
import functools
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"(<!-- gen:(?P<name>[\w-]+) -->\n)(?P<body>.*?)(<!-- /gen:(?P=name) -->)", re.S)
# chart -> the results file it is drawn from
CHARTS = {"bench.png": "bench.csv", "bench_one_round.png": "bench_one_round.csv"}


def _rows(name: str) -> list:
    from zoo.bench import read_results

    return read_results(str(DOCS / name))


def _input(spec) -> str:
    size = f"{spec.image_size}×{spec.image_size}×{spec.channels}"
    low, high = spec.min_image_size, spec.max_image_size
    if high:
        return f"{size} ({low}–{high})"
    return f"{size} (any)" if low <= 1 else f"{size} (≥{low})"


def _origin(spec) -> str:
    net = getattr(spec.slim_net, "resolved", spec.slim_net)  # the registry's `zoo.lazy.Lazy` reference, imported
    while isinstance(net, functools.partial):
        net = net.func
    return "`tf_slim.nets`" if getattr(net, "__module__", "").startswith("tf_slim") else "written here, after research/slim"


def models_table() -> str:
    """One row per registered model: its TF1 original, input, classes, parameters and published weights."""
    from zoo.registry import get_spec, list_models
    from zoo.weights import entries

    weights = entries().values()
    lines = ["| model | paper | slim original | default input (sizes it builds at) | classes | parameters | "
             "ImageNet weights: top-1 (sets) |", "|---|---|---|---|---|---|---|"]
    for name in list_models():
        spec = get_spec(name)
        mine = [e for e in weights if e["architecture"] == name and e["implemented"]]
        default = next((e for e in mine if e.get("default")), None)
        published = (f"{default['published']['top1']} % ({len(mine)})" if default and default["published"]["top1"]
                     else "– (none published)")
        lines.append(f"| `{name}` | {spec.paper} | {_origin(spec)} | {_input(spec)} | {spec.num_classes} | "
                     f"{spec.num_params:,} | {published} |")
    return "\n".join(lines)


def csv_table(name: str) -> str:
    """A committed CSV of measurements as it is, one table row per line."""
    with open(DOCS / name, newline="") as f:
        rows = list(csv.reader(f))
    return "\n".join(["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
                     + ["| " + " | ".join(r) + " |" for r in rows[1:]])


def _speedup(row) -> str:
    from zoo.bench.report import _ratio_cell

    return _ratio_cell(row, "native_speedup") if row and row.get("native_speedup", "") != "" else "–"


def _ratio(row) -> str:
    from zoo.bench.report import _ratio_cell

    return _ratio_cell(row) if row and row.get("ratio_to_slim_graph", "") != "" else "–"


def train_applications_table() -> str:
    """Training of the models with a keras.applications counterpart: every path against the slim graph, and the
    faster native against each keras.applications (each results file's rows judged only against its own run)."""
    lines = ["| model | results file | slim graph s/step | tf_keras native × slim graph | Keras 3 native × slim graph "
             "| shim × slim graph | native × tf_keras applications | native × Keras 3 applications |",
             "|---|---|---|---|---|---|---|---|"]
    for results in ("bench.csv", "bench_train_applications.csv"):
        cells = {}
        for r in _rows(results):
            if r["mode"] == "train":
                cells.setdefault(r["model"], {})[r["impl"]] = r
        for model, c in cells.items():
            apps = [c.get("keras_applications"), c.get("keras3_applications")]
            if not any(a and a.get("native_speedup", "") != "" for a in apps):
                continue
            base = c["slim_graph"]
            batch = f" (batch {base['batch']})" if base["batch"] != 8 else ""
            lines.append(f"| {model}{batch} | `{results}` | {base['step_ms_median'] / 1e3:.2f} | "
                         + " | ".join(_ratio(c.get(i)) for i in ("native_function", "keras3_tensorflow",
                                                                  "shim_function"))
                         + " | " + " | ".join(_speedup(a) for a in apps) + " |")
    return "\n".join(lines)


def _mode(rows, mode):
    return [r for r in rows if r["mode"] == mode]


def migrate_ops_table() -> str:
    """The migrator's op table, from its registry: TF op types sharing a translation, and what it writes."""
    from zoo.migration import OPS

    groups = {}
    for op, fn in sorted(OPS.items()):
        groups.setdefault((fn.__doc__ or fn.__name__).strip().splitlines()[0], []).append(op)
    rows = sorted(groups.items(), key=lambda kv: kv[1][0])
    return "\n".join(["| TF1 op | becomes |", "|---|---|"] +
                      [f"| {', '.join(f'`{o}`' for o in ops)} | {what} |" for what, ops in rows])


def story_log() -> str:
    """What `python -m zoo story` printed on this machine, from its output committed as docs/story.log; abridged:
    of each phase's progress lines (`step N/M`) only the last is shown."""
    lines = (DOCS / "story.log").read_text().splitlines()
    kept = [line for line, after in zip(lines, lines[1:] + [""])
            if not (line.startswith("step ") and after.startswith("step "))]
    return "```\n" + "\n".join(kept).strip("\n") + "\n```"


def _deploy_rows() -> list:
    """The deployment runs' rows: the three int8 targets with every path (bench_deploy.csv), then every
    architecture on ONNX Runtime and OpenVINO (bench_onnx.csv); a model's rows are taken from one file only, the
    first that has it, so that every ratio in a row of the table was measured side by side."""
    rows = _rows("bench_deploy.csv")
    seen = {r["model"] for r in rows}
    return rows + [r for r in _rows("bench_onnx.csv") if r["model"] not in seen]


def _report():
    from zoo.bench import report

    return report


GENERATORS = {
    "models": models_table,
    "migrate-ops": migrate_ops_table,
    "story": story_log,
    "bench-keras3": lambda: _report().ratio_table(_rows("bench_keras3.csv")),
    "bench-fastest": lambda: _report().fastest_table(_rows("bench.csv")),
    "bench-targets-inference": lambda: _report().targets_table(_mode(_rows("bench.csv"), "inference")),
    "bench-targets-train": lambda: _report().targets_table(_mode(_rows("bench.csv"), "train")),
    "bench-train-applications": train_applications_table,
    "bench-bf16": lambda: _report().format_table(_rows("bench_bf16.csv")),
    "bench-rows": lambda: _report().format_table(_rows("bench.csv")),
    "bench-ratios": lambda: _report().ratio_table(_rows("bench.csv")),
    "bench-targets": lambda: _report().targets_table(_rows("bench.csv")),
    "bench-machines": lambda: _report().machines_note(_rows("bench.csv")),
    "bench-applications-rows": lambda: _report().format_table(_rows("bench_train_applications.csv")),
    "bench-applications-ratios": lambda: _report().ratio_table(_rows("bench_train_applications.csv")),
    "bench-one-round-ratios": lambda: _report().ratio_table(_rows("bench_one_round.csv")),
    "profile-misses": lambda: csv_table("profile_misses.csv"),
    "profile-tflite": lambda: csv_table("profile_tflite.csv"),
    "quantize": lambda: csv_table("quantize.csv"),
    # past float32 and TensorFlow (#29): the deployment paths, measured on one machine
    "bench-deploy": lambda: _report().cost_table(_rows("bench_deploy.csv")),
    "bench-onnx": lambda: _report().cost_table(_rows("bench_onnx.csv")),
    "bench-deploy-fastest": lambda: _report().fastest_table(_deploy_rows()),
    "bench-deploy-targets": lambda: _report().fastest_table(_rows("bench_deploy.csv")),
    "bench-deploy-machines": lambda: _report().machines_note(_deploy_rows()),
}


# "1.15 (1.05–1.24)" or "1.15×, 1.05–1.24": a ratio and its interval quoted in a page's prose.
QUOTED_INTERVAL = re.compile(r"(?<![–\d.])(\d\.\d\d)(?: \(|×?, )(\d\.\d\d)–(\d\.\d\d)")


def unsourced_intervals() -> list:
    """(page, quote) of every interval the prose quotes that no committed results file gives: a quoted figure
    must be a table cell of docs/*.csv (the generated parts themselves are left out)."""
    from zoo.bench.report import _ratio_cell

    cells = set()
    for results in sorted(DOCS.glob("bench*.csv")):
        for row in _rows(results.name):
            for key in ("ratio_to_slim_graph", "native_speedup"):
                if row.get(key, "") != "":
                    cells.add(_ratio_cell(row, key))
    out = []
    for path in pages():
        prose = BLOCK.sub("", path.read_text())
        for match in QUOTED_INTERVAL.finditer(prose):
            quote = f"{match[1]} ({match[2]}–{match[3]})"
            if quote not in cells:
                out.append((path.relative_to(ROOT).as_posix(), quote))
    return out


# `<!-- fig bench.csv resnet_v1_50/native_function/train ratio -->1.14 (1.11–1.18)<!-- /fig -->`: one figure in a
# sentence, filled from a committed CSV. It must not begin a line (Markdown would take the comment for an HTML block).
FIGURE = re.compile(r"<!-- fig (?P<file>\S+) (?P<rows>\S+) (?P<what>[^>]+?) -->(?P<value>[^<\n]*)<!-- /fig -->")
# WHAT: a column of the file (`/DIVISOR` scales it, `:FORMAT` formats it), or one of these views of a bench row.
VIEWS = {
    "ratio": "ratio_to_slim_graph",   # one row: '1.14 (1.11–1.18)'; several rows: the medians' range, '0.94–1.03'
    "speedup": "native_speedup",      # the native over a keras.applications row, likewise
}
# WHAT may also be a figure the bench report derives from a row's columns.
DERIVED = {"gflop_s": "_gflops_per_second"}   # forward GFLOP/s, as the fastest-path table's column


def _table(name: str) -> list:
    """The rows of docs/NAME as dicts of strings, in file order."""
    path = DOCS / name
    if path.suffix != ".csv" or not path.exists():
        raise ValueError(f"figure from {name!r}: not a committed CSV in docs/; use one of "
                         f"{sorted(p.name for p in DOCS.glob('*.csv'))}")
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def _matching(name: str, selector: str) -> list:
    """The rows of docs/NAME whose first columns match SELECTOR's `/`-separated parts in order, each part a
    comma-separated list of shell patterns (`resnet_v*_50,inception_v3/slim_graph/train`)."""
    rows = _table(name)
    columns = list(rows[0]) if rows else []
    parts = selector.split("/")
    if len(parts) > len(columns):
        raise ValueError(f"figure row {selector!r}: {name} has only the columns {columns}")
    out = [r for r in rows if all(any(fnmatch.fnmatchcase(r[c], p) for p in part.split(","))
                                  for c, part in zip(columns, parts))]
    if not out:
        raise ValueError(f"figure row {selector!r} matches no row of {name} (keyed by {columns[:len(parts)]})")
    return out


def figure(name: str, selector: str, what: str) -> str:
    """The figure `what` of the rows `selector` of docs/NAME: the value of one row, or 'low–high' over several.
    `ratio` / `speedup` give a bench row's median with its 95 % interval (several rows: the medians' range);
    `COLUMN/1000:.2f` divides a numeric column and formats it; a bare COLUMN is its text (one row only)."""
    from zoo.bench.report import _ratio_cell

    rows = _matching(name, selector)
    column, _, fmt = what.partition(":")
    column, _, divisor = column.partition("/")
    if column in VIEWS and not fmt and not divisor:
        if len(rows) == 1:
            return _ratio_cell({k: _number(v) for k, v in rows[0].items()}, VIEWS[column])
        column, fmt = VIEWS[column], ".2f"
    if column in DERIVED:
        from zoo.bench import report

        derive = getattr(report, DERIVED[column])
        rows = [{**r, column: derive({k: _number(v) for k, v in r.items()})} for r in rows]
    if column not in rows[0]:
        raise ValueError(f"figure column {column!r} is not in {name}: {list(rows[0])}, nor one of "
                         f"{sorted(VIEWS) + sorted(DERIVED)}")
    if not fmt and not divisor:
        values = {r[column] for r in rows}
        if len(values) != 1:
            raise ValueError(f"figure {what!r} of {selector!r}: {len(rows)} rows differ; give a :FORMAT for a range")
        return values.pop()
    try:
        numbers = sorted(float(r[column]) / float(divisor or 1) for r in rows)
    except ValueError:
        raise ValueError(f"figure {what!r} of {selector!r} in {name}: a cell is empty or not a number") from None
    low, high = (format(n, fmt) for n in (numbers[0], numbers[-1]))
    return low if low == high else f"{low}–{high}"


def _number(text: str):
    """A CSV cell as the bench report reads it: a number where it is one, else the text."""
    try:
        return float(text)
    except ValueError:
        return text


def fill_figures(text: str) -> str:
    """`text` with each inline figure's value as its CSV gives it now."""
    def fill(match):
        if not text[text.rfind("\n", 0, match.start()) + 1:match.start()].strip():
            raise ValueError(f"a figure marker begins a line ({match[0][:60]}…): Markdown would read it as an HTML "
                             "block; move a word onto its line")
        value = figure(match["file"], match["rows"], match["what"])
        return match[0].replace(f"-->{match['value']}<!--", f"-->{value}<!--", 1)

    return FIGURE.sub(fill, text)


# A measured figure typed by hand: a number (or range) with a unit of time, memory or speed, a ×-ratio (not a size
# like 7×7), a percentage, a ratio's interval, range or change ("0.96 (0.89–0.99)", "0.94–1.03", "0.80 → 1.03"), or
# a measured drift.
HAND_TYPED = re.compile(
    r"(?<![\w.·])\d(?:[\d.,]*\d)?(?: ?[–-] ?\d[\d.]*)?(?:×(?![\d\w])| ?%| per ?cent\b|"
    r" (?:ms|s|min|minutes?|seconds?|h|hours?|[KMG]i?B|GFLOP/s|GHz|examples/s|samples/s)(?![\w/]))"
    r"|\d\.\d+(?: \(|×?, )\d\.\d+–\d\.\d+|(?<![\w.])\d\.\d+–\d\.\d+(?![\d.])|(?<![\w.])\d+\.\d+ → \d"
    # a measured drift: a difference with a decimal mantissa ("1.4e-6", "1.6·10⁻⁶") or an approximate one ("~2e-6");
    # a test's bound is written "1e-4"
    r"|~?\d\.\d+(?:e-?\d+|·10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)|~\d+(?:e-?\d+|·10[⁻⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
# Figures that are not measurements, kept in the prose; each says why.
NOT_MEASURED = [
    # the statistics' setting: a 95 % bootstrap interval (zoo/bench/stats.py)
    r"95 %\s+(?:bootstrap\s+)?interval",
    # the speed targets of issue #15: goals the tables judge, not results
    r"(?:≥|meets) \d\.\d\d×|\d\.\d\d× target",
    # the machine's installed memory, a spec (`free`), not a result
    r"(?:this machine's|the machine's|in) 23 GB",
    # zoo.download's settings and the test server's pacing (docs/reliability.md)
    r"30 s connect/read timeout|under 1 KiB in 60 s|every 5 s|a byte every 0\.3 s",
    # a test's tolerance ("loss within 1%", "parameter count within 3 %"): what the test asserts
    r"within [\d.]+ ?%",
    # keras.applications' batch-norm epsilon, a constant of its ResNet (docs/architectures.md's comparison table)
    r"ε 1\.001e-5",
    # the CPU's float32 peak, computed from its clock range and FMA width, not measured
    r"2\.6–3\.3 GHz is 166–211 GFLOP/s",
]


def hand_typed_figures(pages_: list | None = None) -> list:
    """(page, figure) of every measured figure typed outside the generated parts and inline figures: such a
    figure must come from a committed CSV (a `fig` marker or a generated table), or the sentence must point to
    the table instead. The allowlist NOT_MEASURED names the few non-measured contexts a pattern would catch."""
    allowed = re.compile("|".join(NOT_MEASURED))
    out = []
    for path in pages_ or pages():
        prose = allowed.sub("", FIGURE.sub("", BLOCK.sub("", path.read_text())))
        out += [(path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path), m[0])
                for m in HAND_TYPED.finditer(prose)]
    return out


def pages() -> list:
    """The files that may hold generated parts: README.md and every docs page."""
    return [ROOT / "README.md"] + sorted(DOCS.rglob("*.md"))


def render(text: str, cache: dict) -> str:
    """`text` with each generated part replaced by what its generator gives now."""
    def fill(match):
        name = match["name"]
        if name not in GENERATORS:
            raise ValueError(f"unknown generated part {name!r}; known: {sorted(GENERATORS)}")
        if name not in cache:
            cache[name] = GENERATORS[name]()
        return f"{match[1]}{cache[name]}\n{match[4]}"

    return fill_figures(BLOCK.sub(fill, text))


def stale() -> list:
    """(path, generated text) of every page whose generated parts are out of date."""
    cache, out = {}, []
    for path in pages():
        text = path.read_text()
        try:
            new = render(text, cache)
        except ValueError as error:
            raise ValueError(f"{path.relative_to(ROOT)}: {error}") from None
        if new != text:
            out.append((path, new))
    return out


def chart_bytes(chart: str) -> bytes:
    """The PNG `chart` as its results file draws it now."""
    from zoo.bench.report import plot

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / chart
        plot(_rows(CHARTS[chart]), str(path))
        return path.read_bytes()


def stale_charts() -> list:
    """(path, PNG bytes) of every chart that differs from what its results file draws."""
    out = []
    for chart in CHARTS:
        new, path = chart_bytes(chart), DOCS / chart
        if not path.exists() or path.read_bytes() != new:
            out.append((path, new))
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only report stale parts (exit 1 if any)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ValueError as error:  # a marker naming no generator, file, row or column
        print(f"docs/gen.py: {error}")
        return 1


def _run(args) -> int:
    for page, quote in unsourced_intervals():
        print(f"not in any docs/*.csv: {quote} quoted in {page}")
    for page, figure_ in hand_typed_figures():
        print(f"typed by hand: {figure_!r} in {page}: fill it from a docs/*.csv with <!-- fig FILE ROWS WHAT -->, "
              "point to the generated table instead, or (not a measurement) allowlist it in NOT_MEASURED")
    changed = stale() + stale_charts()
    for path, new in changed:
        print(f"{'stale' if args.check else 'rewrote'}: {path.relative_to(ROOT)}")
        if not args.check:
            path.write_bytes(new) if isinstance(new, bytes) else path.write_text(new)
    if not changed:
        print("up to date")
    return 1 if (changed or unsourced_intervals() or hand_typed_figures()) and args.check else 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
