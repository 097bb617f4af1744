"""One benchmark cell's worker process (zoo.bench.worker), kept alive across rounds.

Import, model build and tracing happen once per cell, and every round is one `measure` request, so the runner can
interleave many short rounds without paying seconds of start-up each time; each implementation still runs in its own
process (memory isolation, its own Keras and backend). Lines are read with a timeout on a thread, so that a hung or
killed worker costs one error row, not the run.
"""
import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading


def killed_reason(code: int, what: str) -> str:
    """A process's negative exit code in words."""
    if code == -signal.SIGKILL:  # nothing of ours sends it: the kernel's out-of-memory killer, as a rule
        return f"{what} killed by SIGKILL (out of memory, most likely: see `dmesg`)"
    return f"{what} killed by {signal.Signals(-code).name}"


class CellProcess:
    """`start()` builds and warms the cell (returns its BENCH_READY dict); `measure()` runs one round (its
    BENCH_RESULT dict). Failures come back as {"error": ...}: one failing cell must not stop a benchmark run."""

    def __init__(self, args: dict, timeout: float = 3600.0):
        self.args, self.timeout = args, timeout
        self.proc, self.failed = None, None
        self._lines = queue.Queue()
        self._stderr = tempfile.TemporaryFile(mode="w+")

    def start(self) -> dict:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        impl = self.args["impl"]
        if impl.startswith("keras3_"):  # one backend per process; keras.applications' on TensorFlow
            backend = impl[len("keras3_"):]
            env["KERAS_BACKEND"] = "tensorflow" if backend == "applications" else backend
        self.proc = subprocess.Popen([sys.executable, "-m", "zoo.bench.worker", json.dumps(self.args)],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._stderr, text=True,
                                     env=env)
        threading.Thread(target=self._read, daemon=True).start()
        return self._answer("BENCH_READY")

    def measure(self) -> dict:
        if self.failed:
            return {"error": self.failed}
        try:
            self.proc.stdin.write("measure\n")
            self.proc.stdin.flush()
        except OSError:
            pass  # the worker is gone: _answer reports how it exited
        return self._answer("BENCH_RESULT")

    def close(self) -> None:
        if self.proc:
            try:
                self.proc.stdin.close()  # the worker's end of its loop
                self.proc.wait(timeout=60)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
            self.proc.stdout.close()
        self._stderr.close()

    def _read(self):
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)  # end of output

    def _answer(self, tag):
        while True:
            try:
                line = self._lines.get(timeout=self.timeout)
            except queue.Empty:
                self.proc.kill()
                return self._fail(f"timed out after {self.timeout:g} s")
            if line is None:
                return self._fail(self._exit_reason())
            at = line.find(tag + " ")  # a library's print without a newline may come first
            if at >= 0:
                try:
                    result = json.loads(line[at + len(tag) + 1:])
                except ValueError:
                    return self._fail(f"unreadable {tag} line: {line[at:at + 200]!r}")
                if "error" in result and tag == "BENCH_READY":
                    self.failed = result["error"]
                return result

    def _exit_reason(self):
        code = self.proc.wait()
        if code < 0:
            return killed_reason(code, "worker")
        self._stderr.seek(0)
        tail = (self._stderr.read().strip().splitlines() or ["no output"])[-1]
        return f"worker exited {code}: {tail}"

    def _fail(self, message):
        self.failed = message
        return {"error": message}
