"""The documentation: the site builds strictly, its generated parts match the registry and the committed CSVs, and a
real browser shows the built architectures page with its model table."""
import functools
import html.parser
import http.server
import importlib.util
import os
import shutil
import subprocess
import sys
import threading

import pytest

import zoo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _gen():
    """docs/gen.py, the script that writes every generated part of README.md and docs/."""
    spec = importlib.util.spec_from_file_location("docs_gen", os.path.join(ROOT, "docs", "gen.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mkdocs_build(config, site):
    """`mkdocs build --strict` of `config` into `site`: (exit code, output). Not `--quiet`: it hides the
    warnings that strict mode counts, and a broken link then passes."""
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", config, "-d", site],
                          cwd=ROOT, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    return done.returncode, done.stdout + done.stderr


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The documentation site, built strictly (a broken link, anchor or API reference fails the build)."""
    path = str(tmp_path_factory.mktemp("site"))
    code, output = _mkdocs_build(os.path.join(ROOT, "mkdocs.yml"), path)
    assert code == 0, f"mkdocs build --strict failed:\n{output}"
    return path


def test_site_builds_strictly_with_the_api_reference(site):
    page = open(os.path.join(site, "reference", "api", "index.html")).read()
    for name in ("zoo.api.create_model", "zoo.api.load_checkpoint", "zoo.api.save_checkpoint"):
        assert f'id="{name}"' in page, f"the API reference lacks {name}"


@pytest.mark.parametrize("broken", ["[a page that is not there](nowhere.md)", "[an anchor](index.md#no-such-heading)",
                                    "::: zoo.no_such_module"])
def test_strict_build_fails_on_a_broken_reference(tmp_path, broken):
    """What the strict build is for: a link, an anchor or an API reference that points nowhere fails it."""
    docs = tmp_path / "docs"
    shutil.copytree(os.path.join(ROOT, "docs"), docs)
    with open(docs / "design.md", "a") as f:
        f.write(f"\n\n{broken}\n")
    config = open(os.path.join(ROOT, "mkdocs.yml")).read()
    assert "docs_dir: docs\n" in config and "paths: [.]" in config
    config = config.replace("docs_dir: docs\n", f"docs_dir: {docs}\n").replace("paths: [.]", f"paths: [{ROOT}]")
    (tmp_path / "mkdocs.yml").write_text(config)
    code, output = _mkdocs_build(str(tmp_path / "mkdocs.yml"), str(tmp_path / "site"))
    assert code != 0, f"the strict build passed with {broken!r} in a page:\n{output}"


def test_generated_parts_are_up_to_date():
    """README's model table and the docs' tables and charts are what docs/gen.py makes of the registry and the
    committed CSVs now (regenerated in memory, compared with the committed files)."""
    gen = _gen()
    stale = [os.path.relpath(path, ROOT) for path, _ in gen.stale() + gen.stale_charts()]
    assert not stale, f"{stale} differ from what the registry and docs/*.csv give: run `python docs/gen.py`"
    readme = open(os.path.join(ROOT, "README.md")).read()
    assert "<!-- gen:models -->" in readme and all(f"| `{name}` |" in readme for name in zoo.list_models())
    assert len(readme.splitlines()) <= 250, "README.md grew past 250 lines: move the detail to docs/"


def test_every_measured_figure_in_the_prose_comes_from_a_committed_csv():
    """A ratio with its interval written in a page's text ("1.26 (1.03–1.34)", "0.99×, 0.86–1.06") is a cell that
    docs/gen.py computes from some docs/*.csv, and no time, memory, ×-ratio or percentage is typed by hand outside
    the generated parts and `<!-- fig -->` markers (whose values test_generated_parts_are_up_to_date checks)."""
    gen = _gen()
    unsourced = gen.unsourced_intervals()
    assert not unsourced, f"quoted in the docs but in no committed results file: {unsourced}"
    typed = gen.hand_typed_figures()
    assert not typed, f"measured figures typed by hand (use <!-- fig FILE ROWS WHAT --> or a generated table): {typed}"


def test_the_check_catches_a_planted_hand_typed_figure(tmp_path):
    """What the figure check is for: a timing, a ×-ratio and a percentage typed into prose are each reported, and
    the same figure filled from docs/bench.csv by a marker is not."""
    gen = _gen()
    page = tmp_path / "page.md"
    page.write_text("ResNet-50 v1 maps in 0.07 s, 1.18× faster, with 4 % to spare; mapped in "
                    "<!-- fig bench.csv resnet_v1_50/native_function/inference mapping_s:.2f -->0.07<!-- /fig --> s.\n")
    assert [figure for _, figure in gen.hand_typed_figures([page])] == ["0.07 s", "1.18×", "4 %"]


class _Rows(html.parser.HTMLParser):
    """The text of each table row's cells in an HTML document."""

    def __init__(self):
        super().__init__()
        self.rows, self._cells = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self._cells = []
        elif tag in ("td", "th") and self._cells is not None:
            self._cells.append("")

    def handle_endtag(self, tag):
        if tag == "tr" and self._cells is not None:
            self.rows.append(self._cells)
            self._cells = None

    def handle_data(self, data):
        if self._cells:
            self._cells[-1] += data


@pytest.fixture
def served(site):
    """The built site on http://127.0.0.1:PORT/."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=site)
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_browser_renders_the_architectures_model_table(served, tmp_path):
    """Debian's chromium, headless, loads the built architectures page and the DOM it renders has one model-table
    row per registered model (CI must have the browser; elsewhere the test skips without it)."""
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but there is no {CHROMIUM}: .ci/run installs Debian's chromium")
        pytest.skip("no chromium here (apt-get install chromium); CI runs this test")
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", f"{served}/architectures/"],
        capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"chromium failed:\n{done.stderr[-2000:]}"
    rows = _Rows()
    rows.feed(done.stdout)
    models = {cells[0].strip(): cells for cells in rows.rows if cells}
    missing = [name for name in zoo.list_models() if name not in models]
    assert not missing, f"the rendered architectures page has no table row for {missing}"
    assert models["mobilenet_v1"][4].strip() == "1001"  # the classes column, as the registry says
