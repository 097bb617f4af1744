"""The package's layering: each module belongs to one layer and imports (at module level or inside a function) only
from its own layer or lower ones; zoo's modules import one another without a cycle; and the registry is pure data
(`import zoo.registry; list_models()` imports no TensorFlow, Keras, JAX or PyTorch)."""
import ast
import fnmatch
import os
import subprocess
import sys

import pytest

from conftest import ROOT

# Lowest first. A module matches the first pattern that names it (fnmatch on the dotted name).
LAYERS = [
    ("base", ["zoo.errors", "zoo.ownership", "zoo.fs", "zoo.lazy", "zoo.slim_names"]),  # pure Python
    ("kit", ["zoo.nn", "zoo.nn.*", "zoo.compat", "zoo.preprocessing", "zoo.images",
             "zoo.lite", "zoo.onnx_runtimes"]),  # Keras / TF / TFLite / ONNX glue, no model knowledge
    ("specs", ["zoo.spec", "zoo.registry", "zoo.models", "zoo.models.*.arch"]),  # pure data (and families: below)
    ("checkpoints", ["zoo.checkpoints", "zoo.checkpoints.io", "zoo.checkpoints.engine", "zoo.checkpoints.frozen",
                     "zoo.checkpoints.mapping", "zoo.weights", "zoo.weights.*"]),  # engine and storage
    ("implementations", ["zoo.implementation", "zoo.models.*.*", "zoo.native", "zoo.shim", "zoo.slim_graph",
                         "zoo.checkpoints.inspect"]),
    ("api", ["zoo", "zoo.api"]),  # `zoo` is the lazy facade over zoo.api & co.
    ("applications", ["zoo.checkpoints.convert", "zoo.features", "zoo.export", "zoo.quantize", "zoo.data",
                      "zoo.data.*", "zoo.training", "zoo.training.*", "zoo.bench", "zoo.bench.*", "zoo.migration",
                      "zoo.migration.*", "zoo.story", "zoo.cli",
                      "zoo.__main__"]),
]
# Deliberate exceptions (importer, imported): none.
ALLOWED = set()


def _modules():
    found = {}
    for directory, _, files in os.walk(os.path.join(ROOT, "zoo")):
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(directory, f)
                name = os.path.relpath(path, ROOT)[:-3].replace(os.sep, ".")
                found[name[: -len(".__init__")] if name.endswith(".__init__") else name] = path
    return found


MODULES = _modules()


def _layer(module):
    if module.startswith("zoo.models.") and module.count(".") == 2:  # a family's registration (its __init__)
        return 2
    for index, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(module, p) for p in patterns):
            return index
    raise AssertionError(f"{module} is in no layer of tests/test_structure.py: add it to LAYERS")


def _imports(module):
    """The zoo modules `module` imports anywhere in its code, `from zoo import x` resolved to zoo.x when a module."""
    tree = ast.parse(open(MODULES[module]).read())
    package = module if MODULES[module].endswith("__init__.py") else module.rsplit(".", 1)[0]
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{parent}.{base}" if base else parent
            for alias in node.names:
                names.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    resolved = set()
    for name in names:
        while name not in MODULES and "." in name:
            name = name.rsplit(".", 1)[0]
        if name in MODULES and name != module:
            resolved.add(name)
    return resolved


GRAPH = {m: _imports(m) for m in MODULES}


def test_every_module_has_a_layer_and_imports_no_later_one():
    wrong = []
    for module, imported in sorted(GRAPH.items()):
        for other in sorted(imported):
            if _layer(other) > _layer(module) and (module, other) not in ALLOWED:
                wrong.append(f"{module} ({LAYERS[_layer(module)][0]}) imports {other} ({LAYERS[_layer(other)][0]})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    state, cycles = {}, []

    def visit(module, path):
        state[module] = "open"
        for other in sorted(GRAPH[module]):
            if state.get(other) == "open":
                cycles.append(" -> ".join(path[path.index(other):] + [other]))
            elif other not in state:
                visit(other, path + [other])
        state[module] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [module])
    assert not cycles, "\n".join(cycles)


def test_the_structure_checks_see_imports():
    """The checks above are only as good as the import graph they read."""
    assert "zoo.registry" in GRAPH["zoo.api"] and "zoo.spec" in GRAPH["zoo.registry"]
    assert "zoo.models" in GRAPH["zoo.registry"]  # a function-level import
    assert _layer("zoo.models.lenet") < _layer("zoo.models.lenet.slim") == _layer("zoo.native")


@pytest.mark.parametrize("code", ["import zoo.registry as r; r.list_models(); r.get_spec('nasnet_large').mapping",
                                  "import zoo; zoo.list_models()"])
def test_the_registry_imports_no_framework(code):
    frameworks = ["tensorflow", "keras", "tf_keras", "tf_slim", "jax", "torch"]
    probe = f"import sys; {code}; print([m for m in {frameworks!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True,
                         env={**os.environ, "PYTHONPATH": ROOT})
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
