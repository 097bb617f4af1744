"""`zoo.migrate`: a user's own TF1 network — slim / tf.compat.v1.layers code, a `.meta` graph and its checkpoint,
or a frozen graph — becomes a native Keras 3 model with its TF1 names, readable generated source and a parity
report against the TF1 graph.

The pipeline is one path whatever the source: `source` brings it to a frozen inference graph, `translate` writes
the Python module of the Keras model (which is then executed, so the model *is* the generated code), the weights
go in by TF1 name through the zoo's mapping engine, and `parity` runs the TF1 graph and the model on the same
inputs, per output and per layer, on each Keras backend asked for.
"""
from __future__ import annotations

import dataclasses
import json
import os
import types
from typing import Callable, Sequence

import numpy as np

import zoo.migration.ops  # noqa: F401  (the built-in translations, registered before any of the user's)
from zoo.fs import write_text
from zoo.migration.parity import ParityReport, check_parity
from zoo.migration.source import FrozenGraph, MigrationError, from_frozen_graph, from_meta_graph, from_net_fn
from zoo.migration.translate import OPS, Program, UnsupportedGraphError, register_op, translate

__all__ = ["Migration", "MigrationError", "ParityReport", "UnsupportedGraphError", "build_from_source", "migrate",
           "register_op", "registered_net", "OPS", "from_frozen_graph", "from_meta_graph", "from_net_fn", "translate"]


@dataclasses.dataclass
class Migration:
    """The result: `model` (Keras 3, weights loaded), `source` (the generated module), `parity`, `weights`
    ({TF1 name: array}), and the `frozen` graph it came from."""
    model: object
    source: str
    parity: ParityReport
    weights: dict
    frozen: FrozenGraph
    program: Program
    images: dict  # the parity inputs, {input name: array}

    def save(self, directory, overwrite: bool = False) -> str:
        """Write model.py, model.keras, weights.ckpt (a TF1 name-based checkpoint), parity.json and parity.txt
        into `directory`, each atomically. Returns the directory."""
        from zoo.checkpoints.io import write_checkpoint

        directory = os.path.abspath(os.fspath(directory))
        names = ("model.py", "model.keras", "weights.ckpt.index", "parity.json")
        if not overwrite and any(os.path.exists(os.path.join(directory, n)) for n in names):
            raise FileExistsError(f"{directory} already holds a migration; pass overwrite=True (--overwrite).")
        os.makedirs(directory, exist_ok=True)
        write_text(os.path.join(directory, "model.py"), self.source)
        tmp = os.path.join(directory, ".model.keras.tmp.keras")
        self.model.save(tmp)
        os.replace(tmp, os.path.join(directory, "model.keras"))
        write_checkpoint(self.weights, os.path.join(directory, "weights.ckpt"), overwrite=True)
        write_text(os.path.join(directory, "parity.json"), json.dumps(self.parity.to_dict(), indent=1) + "\n")
        write_text(os.path.join(directory, "parity.txt"), str(self.parity) + "\n")
        return directory


def build_from_source(source: str, name: str = "migrated_model"):
    """Execute a generated module's text and call its `build_model()` (the model *is* the generated code)."""
    module = types.ModuleType(name)
    exec(compile(source, f"<{name}>", "exec"), module.__dict__)
    return module.build_model()


def registered_net(name: str, input_shape: Sequence[int] | None, net_kwargs: dict) -> tuple:
    """A registered architecture's slim code, as nets_factory pairs it: (net_fn, arg_scope, input shape,
    net kwargs), with the architecture's options split between its arg scope and its net."""
    import functools

    from zoo.registry import get_spec

    spec = get_spec(name)
    scope_kwargs, net_kwargs = spec.split_kwargs(net_kwargs)
    net_kwargs.setdefault("num_classes", spec.num_classes)
    return (spec.slim_net, functools.partial(spec.slim_arg_scope, **scope_kwargs),
            tuple(input_shape or spec.input_shape), net_kwargs)


def migrate(net_fn: Callable | str | None = None, *, meta_graph=None, frozen_graph=None, checkpoint=None,
            inputs=None, outputs=None, input_shape: Sequence[int] | None = None, arg_scope: Callable | None = None,
            images: np.ndarray | None = None, backends: Sequence[str] = (), tolerance: float = 1e-4,
            seed: int = 0, **net_kwargs) -> Migration:
    """Migrate a TF1 network to a native Keras 3 model with its TF1 names.

    Args:
        net_fn: a function building the net TF1-style, `net_fn(images, is_training=False, **net_kwargs)` ->
            logits, (logits, end_points), a list or a dict of tensors; or the name of a registered architecture
            (its slim code is migrated, not the zoo's hand-written native).
        meta_graph: instead, a `Saver`'s `.meta` file (restored from `checkpoint`, default the prefix beside it).
        frozen_graph: instead, a frozen GraphDef `.pb` (weights as Const nodes named by their variables).
        checkpoint: the TF1 checkpoint whose weights the model gets (net_fn: loaded strictly by TF1 name; absent,
            seeded random weights).
        inputs, outputs: input placeholder and output tensor names (graphs), or end points to output (net_fn).
        input_shape: (H, W, C) where the graph leaves it open (required for net_fn).
        arg_scope: for net_fn, a function returning slim's arg scope (as `nets_factory` pairs them).
        images: the parity inputs: an array, or {input name: array} for several inputs (default: seeded uniform
            [-1, 1) images, batch 2).
        backends: other Keras backends to check parity on besides this process's ("jax", "torch",
            "tensorflow"), each in its own process.
        tolerance: largest difference allowed, relative to each tensor's largest magnitude (at least 1).

    Returns a `Migration`; `migration.parity.ok` says whether every output is within `tolerance` everywhere.
    Raises `MigrationError` (a ValueError) with one line on an unknown op, control flow or a training graph.
    """
    given = [x is not None for x in (net_fn, meta_graph, frozen_graph)]
    if sum(given) != 1:
        raise MigrationError("Pass one of net_fn (a function or a registered model name), meta_graph= or "
                             "frozen_graph=.")
    if isinstance(net_fn, str):
        net_fn, registered_scope, input_shape, net_kwargs = registered_net(net_fn, input_shape, net_kwargs)
        arg_scope = arg_scope or registered_scope
    if net_fn is not None:
        frozen = from_net_fn(net_fn, input_shape, arg_scope=arg_scope, checkpoint=checkpoint, outputs=outputs,
                             seed=seed, **net_kwargs)
    elif meta_graph is not None:
        frozen = from_meta_graph(meta_graph, checkpoint, inputs=inputs, outputs=outputs, input_shape=input_shape)
    else:
        if checkpoint is not None:
            raise MigrationError("A frozen graph carries its weights; checkpoint= applies to net_fn and meta_graph.")
        frozen = from_frozen_graph(frozen_graph, inputs=inputs, outputs=outputs, input_shape=input_shape)
    program = translate(frozen)
    source = program.source(frozen.origin)
    model = build_from_source(source)
    _assign(model, program.weights, frozen.origin)
    images = _parity_images(program, images, seed)
    parity = check_parity(frozen, program, source, model, images, backends=backends, tolerance=tolerance)
    return Migration(model, source, parity, program.weights, frozen, program, images)


def _assign(model, weights: dict, origin: str):
    """Every weight of the model from the graph's constants by TF1 name, strictly (the zoo's engine)."""
    from zoo.api import slim_variables
    from zoo.checkpoints import plan_load
    from zoo.checkpoints.io import ArrayReader

    variables = slim_variables(model)
    shapes = {name: tuple(int(d) for d in v.shape) for name, v in variables.items()}
    _, values = plan_load(ArrayReader(weights, origin), shapes)
    for name, value in values.items():
        variables[name].assign(value)


def _parity_images(program: Program, images, seed) -> dict:
    """{input name: array}: the images given (an array for a one-input graph, else a dict by input name), or seeded
    uniform [-1, 1) ones, batch 2."""
    names = [name for _, name, _ in program.inputs]
    if images is None:
        rng = np.random.RandomState(seed)
        return {name: rng.uniform(-1, 1, (2, *shape)).astype(np.float32) for _, name, shape in program.inputs}
    if not isinstance(images, dict):
        if len(names) != 1:
            raise MigrationError(f"The graph has inputs {names}: pass images={{name: array}}.")
        images = {names[0]: images}
    if sorted(images) != sorted(names):
        raise MigrationError(f"images= has inputs {sorted(images)}; the graph's are {names}.")
    return {name: np.asarray(images[name], np.float32) for name in names}
