"""A fast smoke run of the benchmark harness: real processes, real timings, tiny counts."""
import csv
import subprocess
import sys

from conftest import ROOT


def test_bench_smoke(tmp_path):
    results, chart = tmp_path / "bench.csv", tmp_path / "bench.png"
    proc = subprocess.run(
        [sys.executable, "-m", "zoo", "bench", "--models", "lenet", "--impls", "shim_function,native_function",
         "--mode", "both", "--warmup", "1", "--iters", "2", "--rounds", "1", "--batch-size", "4",
         "--results-file", str(results), "--plot", str(chart)], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(open(results)))
    assert [(r["impl"], r["mode"]) for r in rows] == [
        ("slim_graph", "inference"), ("shim_function", "inference"), ("native_function", "inference"),
        ("slim_graph", "train"), ("shim_function", "train"), ("native_function", "train")]
    for r in rows:
        assert float(r["samples_per_sec"]) > 0 and float(r["ratio_to_slim_graph"]) > 0, r
        assert int(r["params"]) == 3_274_634
    assert float(rows[0]["ratio_to_slim_graph"]) == 1.0 and float(rows[0]["gflops_per_sample"]) > 0
    assert float(rows[2]["mapping_s"]) > 0
    assert chart.stat().st_size > 10_000
    # tables and chart again from the results file, without running
    again = subprocess.run([sys.executable, "-m", "zoo", "bench", "--models", "lenet", "--from-results", str(results),
                            "--plot", str(tmp_path / "again.png")], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    ratio = float(rows[2]["ratio_to_slim_graph"])
    assert f"| lenet | inference | {float(rows[0]['step_ms_median']):.1f} | {float(rows[1]['ratio_to_slim_graph']):.2f} " \
           f"| {ratio:.2f} |" in again.stdout
    assert (tmp_path / "again.png").stat().st_size > 10_000


def test_bench_rejects_unknown_impl_and_model():
    proc = subprocess.run([sys.executable, "-m", "zoo", "bench", "--impls", "native_tpu"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 2 and "Unknown bench impls ['native_tpu']" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "zoo", "bench", "--models", "resnet_v9*"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 2 and "matches no registered model" in proc.stderr
