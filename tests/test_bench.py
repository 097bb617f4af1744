"""A fast smoke run of the benchmark harness: real processes, real timings, tiny counts."""
import csv
import platform
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT
from zoo import bench
from zoo.bench.stats import ratio_interval, round_ratios, verdict


NEW_CELLS = ("native_bf16", "tflite_int8", "onnxruntime", "openvino")  # past float32 and TensorFlow (#29)


def test_bench_smoke(tmp_path):
    """Inference, then both modes resumed from the results file: the train rows are measured, the inference
    rows kept as they were. Every cell kind runs, on LeNet."""
    results, chart = tmp_path / "bench.csv", tmp_path / "bench.png"
    impls = ("native_function", "tflite_xnnpack") + NEW_CELLS
    command = [sys.executable, "-m", "zoo", "bench", "--models", "lenet", "--impls", ",".join(impls),
               "--warmup", "1", "--iters", "2", "--seconds", "0", "--rounds", "2", "--batch-size", "4",
               "--results-file", str(results)]
    proc = subprocess.run(command + ["--mode", "inference"], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    first = list(csv.DictReader(open(results)))
    proc = subprocess.run(command + ["--mode", "both", "--resume", "--plot", str(chart)], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    assert "[lenet inference]" not in proc.stdout and "[lenet train] round 2/2 native_function: " in proc.stdout
    rows = list(csv.DictReader(open(results)))
    n = len(impls) + 1
    assert rows[:n] == first
    assert [(r["impl"], r["mode"]) for r in rows] == [(i, m) for m in ("inference", "train")
                                                      for i in ("slim_graph",) + impls]
    train = {r["impl"]: r for r in rows[n:]}
    assert [train[i]["note"] for i in ("tflite_xnnpack", "tflite_int8", "onnxruntime", "openvino")] == \
        ["TFLite runs inference only"] * 2 + ["the ONNX export runs inference only"] * 2
    rows = rows[:n] + [train[i] for i in ("slim_graph", "native_function", "native_bf16")]
    for r in rows:
        assert float(r["samples_per_sec"]) > 0 and int(r["params"]) == 3_274_634, r
        assert int(r["rounds"]) == 2 and float(r["ratio_ci_low"]) <= float(r["ratio_to_slim_graph"]) \
            <= float(r["ratio_ci_high"]), r
    assert float(rows[0]["ratio_to_slim_graph"]) == 1.0 and float(rows[0]["gflops_per_sample"]) > 0
    assert float(rows[1]["mapping_s"]) > 0
    # the accuracy cost, on the 256 digits (random weights: agreement only bounded; float exports agree exactly)
    cost = {r["impl"]: (r["precision"], r["top1_agreement"], r["max_probability_difference"]) for r in rows[:n]}
    assert cost["native_function"] == ("float32", "", "")
    assert cost["native_bf16"][0] == "bfloat16" and cost["tflite_int8"][0] == "int8"
    for impl in ("tflite_xnnpack", "onnxruntime", "openvino"):
        assert cost[impl][0] == "float32" and float(cost[impl][1]) == 1.0 and float(cost[impl][2]) < 1e-4, cost
    for impl in ("native_bf16", "tflite_int8"):
        assert 0.5 <= float(cost[impl][1]) <= 1.0 and 0 < float(cost[impl][2]) < 0.5, cost
    assert chart.stat().st_size > 10_000
    # tables and chart again from the results file, without running
    again = subprocess.run([sys.executable, "-m", "zoo", "bench", "--models", "lenet", "--from-results", str(results),
                            "--plot", str(tmp_path / "again.png")], capture_output=True, text=True, cwd=ROOT)
    assert again.returncode == 0, again.stderr
    native, bf16 = rows[1], rows[3]  # the table's columns in IMPLS' order
    assert f"| lenet | inference | {float(rows[0]['step_ms_median']):.1f} | " \
           f"{float(native['ratio_to_slim_graph']):.2f} ({float(native['ratio_ci_low']):.2f}–" \
           f"{float(native['ratio_ci_high']):.2f}) | {float(bf16['ratio_to_slim_graph']):.2f} (" in again.stdout
    assert (tmp_path / "again.png").stat().st_size > 10_000
    assert {r["machine"] for r in rows} == {bench.machine()}
    if sys.platform.startswith("linux") and platform.machine() == "x86_64":
        assert "ISA unknown" not in bench.machine()
    assert f"Measured on: {bench.machine()} ({2 * n} rows)" in again.stdout


def _cell(step, rounds_scale, **extra):
    return [dict(step_seconds=[step * f] * 3, first_call_seconds=0.1, build_seconds=1.0, params=10,
                 peak_memory_mb=100.0, **extra) for f in rounds_scale]


def test_aggregate_and_reports_from_made_up_rounds():
    """Rows, the native-vs-keras.applications speedup and the reports from rounds whose ratios are known: every
    round slowed by its own factor, which the per-round ratios cancel."""

    noise = [1.0, 1.3, 0.9, 1.1, 1.2]
    cells = {"slim_graph": _cell(0.10, noise, gflops_per_sample=1.5), "shim_function": _cell(0.10 / 0.90, noise),
             "native_function": _cell(0.10 / 1.25, noise), "keras3_tensorflow": _cell(0.10 / 1.05, noise),
             "keras_applications": _cell(0.10 / 1.25 * 1.2, noise),
             "tflite_xnnpack": _cell(0.10 / 1.5, noise[:3]) + [{"error": "worker exited -9: killed"}] * 2,
             "tflite_int8": _cell(0.10 / 2.0, noise, top1_agreement=0.75, max_probability_difference=0.125),
             "native_bf16": _cell(0.10 / 1.1, noise, top1_agreement=1.0, max_probability_difference=0.01)}
    rows = bench._aggregate("m", "inference", 8, 224, "float32", list(cells), cells)
    by = {r["impl"]: r for r in rows}
    for impl, ratio in (("slim_graph", 1.0), ("shim_function", 0.9), ("native_function", 1.25),
                        ("keras_applications", 1.25 / 1.2), ("tflite_xnnpack", 1.5), ("tflite_int8", 2.0)):
        assert by[impl]["ratio_to_slim_graph"] == pytest.approx(ratio, rel=1e-3), impl
    assert by["tflite_xnnpack"]["rounds"] == 3 and by["tflite_xnnpack"]["note"] == \
        "2 round(s) failed: worker exited -9: killed"
    apps = by["keras_applications"]
    assert apps["native_speedup"] == pytest.approx(1.2, rel=1e-3) and apps["native_speedup_rounds"] == 5
    assert apps["note"] == "native_speedup: native_function"
    assert [by[i]["precision"] for i in ("native_function", "native_bf16", "tflite_int8", "tflite_xnnpack")] == \
        ["float32", "bfloat16", "int8", "float32"]
    assert by["tflite_int8"]["top1_agreement"] == 0.75 and by["native_function"]["top1_agreement"] == ""
    # the fastest path, its accuracy cost (top-1 agreement, max probability difference), 1.5 GFLOP x 8 / 0.11 s
    assert "| m | tflite_int8 | 2.00 (2.00–2.00) | 75 %, 0.125 | 109 |" in bench.fastest_table(rows)
    costs = bench.cost_table(rows).splitlines()
    assert "| m | tflite_int8 | int8 | 2.00 (2.00–2.00) | 75 % | 0.1250 |" in costs
    assert "| m | native_function | float32 | 1.25 (1.25–1.25) | – | – |" in costs
    assert "| tflite_xnnpack | 1.50 (1.50–1.50) | float32 |" in \
        bench.fastest_table([r for r in rows if r["impl"] != "tflite_int8"])
    targets = {line.split(" | ")[0][2:]: line.split(" | ")[1:4] for line in bench.targets_table(rows).splitlines()}
    assert targets["native (faster of native_function, keras3_tensorflow) ≥ 1.00× slim graph, interval low ≥ 0.95"] \
        == ["1", "0", "0"]
    assert targets["shim_function ≥ 0.95× slim graph"] == ["0", "0", "1"]
    assert targets["the zoo's fastest inference path ≥ 1.30× slim graph"] == ["1", "0", "0"]
    assert targets["native ≥ 1.10× keras.applications (each)"] == ["1", "0", "0"]
    # --resume: complete only if every impl asked for was measured at the same settings, none cut by --budget
    assert bench._complete(rows, list(cells), 8, 224, "float32")
    assert not bench._complete(rows, list(cells), 8, 160, "float32")
    assert not bench._complete(rows, list(cells) + ["keras3_jax"], 8, 224, "float32")
    cut = [dict(r, note=f"1 round(s) {bench.BUDGET_SKIP}") if r["impl"] == "shim_function" else r for r in rows]
    assert not bench._complete(cut, list(cells), 8, 224, "float32")


def test_a_cell_that_fails_to_build_reports_one_error_for_every_round():
    from zoo.bench.cell_process import CellProcess

    cell = CellProcess(dict(model="no_such_model", impl="slim_graph", mode="inference", batch_size=2, image_size=28,
                            precision="float32", warmup=1, iters=1, seconds=0))
    try:
        ready = cell.start()
        assert "no_such_model" in ready["error"] and cell.measure() == ready
    finally:
        cell.close()


def test_bench_rejects_unknown_impl_and_model():
    proc = subprocess.run([sys.executable, "-m", "zoo", "bench", "--impls", "native_tpu"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 2 and "Unknown bench impls ['native_tpu']" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "zoo", "bench", "--models", "resnet_v9*"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 2 and "matches no registered model" in proc.stderr


def test_ratio_intervals_cover_the_true_ratio():
    """Simulated rounds: every process of a round slowed by a shared factor (the machine's noise), each cell
    adding its own. The per-round ratios cancel the shared factor; the bootstrap interval of their median
    covers the true ratio in most runs, and an interval that straddles a target says 'within noise'."""
    rng = np.random.default_rng(0)
    true_ratio, covered, trials = 1.25, 0, 200
    for _ in range(trials):
        shared = rng.lognormal(0.0, 0.3, 7)  # per round
        base = [list(0.1 * s * rng.lognormal(0, 0.05, 20)) for s in shared]
        other = [list(0.1 / true_ratio * s * rng.lognormal(0, 0.05, 20)) for s in shared]
        point, low, high = ratio_interval(round_ratios(base, other), resamples=500, seed=1)
        assert low <= point <= high
        covered += low <= true_ratio <= high
    assert covered / trials > 0.85, covered
    assert ratio_interval([1.2]) == (1.2, 1.2, 1.2)
    assert (verdict(1.01, 1.2, 1.0), verdict(0.9, 1.1, 1.0), verdict(0.8, 0.95, 1.0)) == \
        ("meets", "within noise", "misses")


@pytest.mark.parametrize("mode", ["inference", "train"])
def test_profile_traces_each_cells_own_step_by_op_type(mode):
    """The profiler traces the benchmark's own steps: LeNet's convolutions and matmuls appear in every cell with
    positive kernel times, training adds their gradients, and the time no kernel runs is part of the step. Its
    TFLite export is listed op by op, and XNNPACK takes all of it in one partition."""
    from zoo.bench.profile import TRACED_CELLS, cell_profile, format_cell_profiles, tflite_profile

    cells = [impl for impl in TRACED_CELLS if not impl.endswith("applications")]  # keras.applications: no LeNet
    with pytest.raises(ValueError, match="keras.applications has no lenet"):
        cell_profile("lenet", "keras_applications", mode)
    profiles = {impl: cell_profile("lenet", impl, mode, batch=4, steps=2) for impl in cells}
    for impl, (ops, times) in profiles.items():
        assert any("Conv2D" in op for op in ops) and any("MatMul" in op for op in ops), (impl, ops)
        assert all(ms >= 0 for ms in ops.values()) and sum(ops.values()) > 0, (impl, ops)
        assert any("Conv2DBackpropFilter" in op for op in ops) == (mode == "train"), (impl, sorted(ops))
        assert times["wall"] > 0 and 0 < times["busy"] <= times["traced"], (impl, times)
        assert times["busy"] <= sum(ops.values()) + 1e-6, (impl, times)  # the union is at most the sum
        assert times["idle"] == pytest.approx(times["traced"] - times["busy"]), (impl, times)
    table = format_cell_profiles(profiles)
    assert table.splitlines()[0] == "| op type (kernel ms per step) | " + " | ".join(cells) + " |"
    assert "| traced step: no kernel running |" in table and "MatMul" in table
    if mode == "inference":
        ops, left, times = tflite_profile("lenet", batch=4, runs=2)
        assert ops == {"CONV_2D": 2, "MAX_POOL_2D": 2, "RESHAPE": 1, "FULLY_CONNECTED": 2, "SOFTMAX": 1}
        assert left == {"partitions": 1} and times["xnnpack"] > 0 and times["reference"] > 0


def test_kernel_times_sum_per_op_type_and_count_overlap_once():
    """Two threads: a Conv2D 0-4 us and a MatMul 2-6 us overlap, another Conv2D 10-11 us; the tracer's own events
    and a call that wraps kernels are not kernels. Per op type: Conv2D 5 us, MatMul 4 us; some kernel runs for
    6 + 1 us."""
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    from zoo.bench.profile import _kernel_op_type, _kernel_times

    space = xplane_pb2.XSpace()
    plane = space.planes.add(name="/host:CPU")
    names = ["net/conv1/Conv2D:Conv2D", "net/fc/MatMul:_MklMatMul", "net/conv2/Conv2D:Conv2D", "ExecutorState::Process",
             "__inference_step_123", "SessionRun#id=1#", "net/StatefulPartitionedCall:StatefulPartitionedCall"]
    for i, name in enumerate(names):
        plane.event_metadata[i].name = name
    ps = 1_000_000  # picoseconds per microsecond
    first, second = plane.lines.add(timestamp_ns=1000), plane.lines.add(timestamp_ns=3000)
    first.events.add(metadata_id=0, offset_ps=0, duration_ps=4 * ps)
    first.events.add(metadata_id=2, offset_ps=10 * ps, duration_ps=1 * ps)
    first.events.add(metadata_id=3, offset_ps=0, duration_ps=20 * ps)
    second.events.add(metadata_id=1, offset_ps=0, duration_ps=4 * ps)
    second.events.add(metadata_id=4, offset_ps=0, duration_ps=30 * ps)
    second.events.add(metadata_id=5, offset_ps=0, duration_ps=30 * ps)
    second.events.add(metadata_id=6, offset_ps=0, duration_ps=30 * ps)
    ops, busy_ms = _kernel_times(space)
    assert ops == pytest.approx({"Conv2D": 0.005, "_MklMatMul": 0.004}) and busy_ms == pytest.approx(0.007)
    assert _kernel_op_type("a/b:_FusedConv2D") == "_FusedConv2D" and _kernel_op_type("SessionRun") is None


def test_nodes_left_between_delegate_partitions_are_found():
    """input 0 -> CONV_2D -> 1 -> CUSTOM -> 2 -> CONV_2D -> 3; XNNPACK took each convolution in a partition of its
    own, so the custom op between them is what TFLite's own kernels run."""
    from zoo.bench.profile import _left_by_delegate

    nodes = [{"op_name": "CONV_2D", "inputs": [0, 10], "outputs": [1]},
             {"op_name": "CUSTOM", "inputs": [1], "outputs": [2]},
             {"op_name": "CONV_2D", "inputs": [2, 11], "outputs": [3]},
             {"op_name": "DELEGATE", "inputs": [0], "outputs": [1]},
             {"op_name": "DELEGATE", "inputs": [2], "outputs": [3]}]
    assert _left_by_delegate(nodes) == {"partitions": 2, "CUSTOM": 1}
    assert _left_by_delegate(nodes[:3]) == {"partitions": 0, "CONV_2D": 2, "CUSTOM": 1}


def test_tflite_export_child_reports_its_error_in_one_line(tmp_path):
    """The bench's TFLite cell converts in a child process; a failure there comes back as the child's error."""
    from zoo.bench import worker

    with pytest.raises(RuntimeError, match=r"^TFLite export: \w+Error: .*no_such_model"):
        worker._export_in_child("tflite_xnnpack", "no_such_model", 32, 1, str(tmp_path / "m.tflite"))
