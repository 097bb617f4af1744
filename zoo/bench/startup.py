"""What a fresh process pays before its first step: `python -m zoo.bench.startup [model]`.

Each statement runs in its own new Python process (nothing cached in the interpreter), the statements interleaved
over the rounds like the benchmark's cells, and the median per statement is reported: `import zoo` (lazy: no
TensorFlow), importing TensorFlow and Keras, and building a model from scratch with each Keras.
"""
import statistics
import subprocess
import sys
import time


def statements(model="resnet_v1_50"):
    """{label: Python source}; each is timed as a whole process, interpreter start included."""
    return {
        "python (interpreter alone)": "pass",
        "import zoo": "import zoo",
        "import tensorflow": "import tensorflow",
        "import keras (Keras 3, TensorFlow backend)": "import keras",
        f"zoo.create_model('{model}') (Keras 3)": f"import zoo; zoo.create_model('{model}')",
        f"zoo.create_model('{model}', keras='tf_keras')": f"import zoo; zoo.create_model('{model}', keras='tf_keras')",
        f"zoo.create_model('{model}', 'shim')": f"import zoo; zoo.create_model('{model}', 'shim')",
    }


def startup_seconds(model="resnet_v1_50", rounds=5, log=print):
    """{label: (median seconds, [seconds per round])} over `rounds` interleaved rounds."""
    times = {label: [] for label in statements(model)}
    for r in range(rounds):
        for label, source in statements(model).items():
            start = time.perf_counter()
            subprocess.run([sys.executable, "-c", source], check=True, capture_output=True)
            times[label].append(time.perf_counter() - start)
        log(f"round {r + 1}/{rounds} done")
    return {label: (statistics.median(t), t) for label, t in times.items()}


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    model = argv[0] if argv else "resnet_v1_50"
    import zoo

    try:
        zoo.get_spec(model)
    except ValueError as e:
        sys.exit(f"python -m zoo.bench.startup: {e}")
    results = startup_seconds(model, log=lambda line: print(line, file=sys.stderr, flush=True))
    print("| in a new process | median s | min–max s |\n|---|---|---|")
    for label, (median, all_) in results.items():
        print(f"| {label} | {median:.2f} | {min(all_):.2f}–{max(all_):.2f} |")


if __name__ == "__main__":
    main()
