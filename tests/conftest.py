import os

# The test process's own settings (zoo itself never sets an environment variable). On AVX-512 CPUs TensorFlow
# turns on oneDNN graph rewrites by default, which round float32 differently in a TF1 graph than eagerly
# (~2e-6 of the logits' scale): with them off, every CPU runs the same kernels, and the slim graph and the
# shim agree bit for bit, as the parity battery asserts. Subprocesses inherit both.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

import gc  # noqa: E402
import http.server  # noqa: E402
import shutil  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import zoo  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared")
# Google's MobileNet v1 0.25 224 release (../shared/pretrained; tests using it skip when it is absent).
RELEASE = os.path.join(SHARED, "pretrained", "mobilenet_v1_0.25_224")
RELEASE_PB = os.path.join(RELEASE, "mobilenet_v1_0.25_224_frozen.pb")
PHOTOS = ["chelsea", "coffee", "astronaut", "rocket"]


def release_photos():
    """scikit-image's four photographs with the release's eval preprocessing, [4, 224, 224, 3]."""
    import skimage.data

    from zoo import preprocessing

    return np.stack([preprocessing.inception_eval(getattr(skimage.data, n)(), 224).numpy() for n in PHOTOS])


def release_graph_softmax(photos):
    """The reference: the release's own frozen graph, run as a TF1 graph."""
    import tensorflow as tf

    from zoo import compat

    graph_def = tf.compat.v1.GraphDef()
    with open(RELEASE_PB, "rb") as f:
        graph_def.ParseFromString(f.read())
    with compat.tf1_graph() as graph:
        tf.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as sess:
            return sess.run("MobilenetV1/Predictions/Reshape_1:0", {"input:0": photos})

# The parity battery's cases, shared by every module that runs it (slim/shim/native in test_parity, Keras 3 backends
# in test_backends): (model, architecture kwargs, image size or None for the default), read from the registry
# (`ModelSpec.test_kwargs`, `test_image_size`): each case uses the smallest input its architecture handles, with
# regularization on where the net has an option for it, so that loss terms are compared too. The variants whose
# family's battery covers their code (`battery_by`: the same builder and mapping, only block counts or widths differ)
# each add one forward check instead (slim graph -> TF1 checkpoint -> shim and Keras 3 native, tests/test_parity.py),
# so that the suite keeps its time budget as the zoo grows. A new family runs the whole battery by default.
def parity_case(arch):
    spec = zoo.get_spec(arch)
    return (arch, dict(spec.test_kwargs), spec.test_image_size)


BATTERY = [parity_case(n) for n in zoo.list_models() if not zoo.get_spec(n).battery_by]
FORWARD = [parity_case(n) for n in zoo.list_models() if zoo.get_spec(n).battery_by]


def heavy(arch):
    return zoo.get_spec(arch).heavy


def worker_group(nodeid):
    """Which tests share a pytest-xdist worker: test_parity's cases by their root scope, so that an
    architecture's TF1 checkpoint (`tf1_checkpoints`) is built once and `zoo inspect`'s signatures of the models
    it ranks against one another (NASNet's and PNASNet's share `conv0`) once; every other test with its module,
    whose module-scoped fixtures are then built once."""
    module = nodeid.split("::")[0]
    if module.endswith("test_parity.py") and "[" in nodeid:
        arch = nodeid.split("[", 1)[1].split("-")[0].rstrip("]")
        if arch in zoo.list_models():
            return "scope:" + zoo.get_spec(arch).mapping.top_scope
    return module


def pytest_xdist_make_scheduler(config, log):
    """xdist's scope scheduling over `worker_group` (its own `--dist loadgroup` cannot mark groups under pytest
    9, whose node ids it can no longer suffix)."""
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return worker_group(nodeid)

    return ByGroup(config, log)


_CHECKPOINTS = {}  # tf1_checkpoints' cache: {(arch, size, kwargs): (prefix, slim graph)}
_GROUP = [None]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """A pytest-xdist worker runs a group's tests one after another; when it moves to the next group, the slim
    graphs built for the last one are closed (their sessions hold up to 0.6 GB of weights each): two workers
    that each kept every graph they built ran out of this machine's 23 GB. Their checkpoints are deleted too,
    so that the run's disk use stays at a few groups' worth."""
    group = worker_group(item.nodeid)
    if os.environ.get("PYTEST_XDIST_WORKER") and group != _GROUP[0]:
        for prefix, graph in _CHECKPOINTS.values():
            graph.close()
            shutil.rmtree(os.path.dirname(prefix), ignore_errors=True)
        _CHECKPOINTS.clear()
        gc.collect()
    _GROUP[0] = group


def parity_params(rows):
    return [pytest.param(r, id=r[0], marks=[pytest.mark.heavy] if heavy(r[0]) else []) for r in rows]


def case_images(case, batch=4, seed=0):
    return random_images(case[0], batch=batch, seed=seed, image_size=case[2])


def assert_close_to_scale(actual, expected, rtol, err_msg=""):
    """Elementwise closeness with the absolute tolerance relative to the tensor's largest magnitude: float32
    rounding in a different (equally valid) order — Keras 3's batch norm is not TF's fused kernel — grows
    with the activations' scale, which random batch-norm statistics make large in deep nets."""
    expected = np.asarray(expected)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * max(float(np.abs(expected).max()), 1.0),
                               err_msg=err_msg)


def random_images(arch, batch=4, seed=0, image_size=None):
    spec = zoo.get_spec(arch)
    size = image_size or spec.image_size
    return np.random.RandomState(seed).uniform(-1, 1, (batch, size, size, spec.channels)).astype(np.float32)


def _randomize_batch_norm(graph, seed=0):
    """Non-trivial batch-norm parameters and statistics, so that parity tests exercise them."""
    rng = np.random.RandomState(seed)
    ranges = {"gamma": (0.5, 1.5), "beta": (-0.5, 0.5), "moving_mean": (-0.5, 0.5), "moving_variance": (0.5, 1.5)}
    values = {}
    for name, value in graph.read().items():
        kind = name.rsplit("/", 1)[-1]
        if "BatchNorm/" in name and kind in ranges:
            values[name] = rng.uniform(*ranges[kind], size=value.shape).astype(value.dtype)
    graph.assign(values)


@pytest.fixture(scope="session")
def tf1_checkpoints(tmp_path_factory):
    """Per architecture: a TF1 checkpoint written by `tf.compat.v1.train.Saver` from the slim graph
    (random weights from a fixed seed, so that a failure reproduces; batch-norm statistics randomized), and
    that graph."""
    cache = _CHECKPOINTS

    def get(arch, image_size=None, **kwargs):
        key = (arch, image_size, tuple(sorted(kwargs.items())))
        if key not in cache:
            graph = zoo.create_model(arch, "slim", image_size=image_size, seed=0, **kwargs)
            _randomize_batch_norm(graph)
            prefix = graph.save(str(tmp_path_factory.mktemp(arch) / "model.ckpt"))
            cache[key] = (prefix, graph)
        return cache[key]

    return get


class LocalServer:
    """An HTTP server on 127.0.0.1 serving `files` {path: bytes}, with the faults downloads must survive:
    `truncate` (half the body, then close), `stall` (a byte every 0.3 s), `fail_first` {path: n} (HTTP 500 for
    the first n requests), `break_first` {path: n} (half the body, then close, n times), `ranges` (paths whose
    Range requests are honoured with 206)."""

    def __init__(self):
        self.files, self.requests, self.truncate, self.stall = {}, [], set(), set()
        self.fail_first, self.break_first, self.ranges, self.range_headers = {}, {}, set(), []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                body = server.files.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                if server.fail_first.get(self.path, 0) > 0:
                    server.fail_first[self.path] -= 1
                    self.send_error(500)
                    return
                start = 0
                wanted = self.headers.get("Range")
                if wanted:
                    server.range_headers.append(wanted)
                if wanted and self.path in server.ranges:
                    start = int(wanted.split("=")[1].split("-")[0])
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                self.send_header("Content-Length", str(len(body) - start))
                self.end_headers()
                part = body[start:]
                try:
                    if self.path in server.stall:
                        for i in range(len(part)):
                            self.wfile.write(part[i:i + 1])
                            self.wfile.flush()
                            time.sleep(0.3)
                    elif self.path in server.truncate or server.break_first.get(self.path, 0) > 0:
                        if self.path in server.break_first:
                            server.break_first[self.path] -= 1
                        self.wfile.write(part[: len(part) // 2])
                    else:
                        self.wfile.write(part)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def url(self, path):
        return f"http://127.0.0.1:{self.httpd.server_address[1]}{path}"


@pytest.fixture
def server():
    s = LocalServer()
    yield s
    s.httpd.shutdown()


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh $ZOO_HOME, and download timeouts short enough for tests."""
    monkeypatch.setenv("ZOO_HOME", str(tmp_path / "zoo_home"))
    for name, value in (("ZOO_DOWNLOAD_TIMEOUT", "2"), ("ZOO_DOWNLOAD_STALL", "1"), ("ZOO_DOWNLOAD_BACKOFF", "0.01")):
        monkeypatch.setenv(name, value)
    return tmp_path / "zoo_home"
