"""The three things a user may hold, brought to one form: a frozen inference GraphDef with its weights as Const
nodes named by their TF1 variables, and the tensors that go in and come out.

A net function is built in a TF1 graph (`is_training=False`), its variables set from a checkpoint through the
zoo's mapping engine (strict, with its report) and frozen; a `.meta` graph is imported and restored by TF's own
`Saver`; a frozen `.pb` is read as it is. Freezing is TF's `convert_variables_to_constants`, which keeps each
variable's name on its constant: the TF1 names survive into the Keras layers.
"""
from __future__ import annotations

import contextlib
import dataclasses
import inspect
import os
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from zoo.compat import tf1_graph

MigrationError = ValueError  # what the CLI reports as one line and exit 2


@dataclasses.dataclass
class FrozenGraph:
    """An inference graph with its weights inside: what the translator reads."""
    graph_def: tf.compat.v1.GraphDef
    inputs: list          # input node names (Placeholders)
    outputs: list         # output tensor names ("node:0")
    origin: str           # where it came from, for messages and reports
    regularizers: dict = dataclasses.field(default_factory=dict)  # TF1 variable name -> slim l2 scale
    load_report: object = None  # the zoo LoadReport when a checkpoint was mapped onto a net function


def _tensor_name(name: str) -> str:
    return name if ":" in name else f"{name}:0"


def _node_name(name: str) -> str:
    return name.split(":")[0].lstrip("^")


def _sinks(graph_def) -> list:
    """Nodes nothing consumes (candidates for outputs), without Saver/initializer plumbing."""
    used = {_node_name(i) for n in graph_def.node for i in n.input}
    skip = ("save/", "init", "report_uninitialized", "Assign", "NoOp", "SaveV2", "RestoreV2")
    return [n.name for n in graph_def.node if n.name not in used and n.op not in ("Const", "NoOp")
            and not n.name.startswith(skip)]


def _check_outputs(graph_def, outputs, origin) -> list:
    names = {n.name for n in graph_def.node}
    if not outputs:
        raise MigrationError(f"{origin}: name the output tensors (outputs=[...], --outputs); nodes nothing "
                             f"consumes: {_sinks(graph_def)[:8]}")
    outputs = [outputs] if isinstance(outputs, str) else list(outputs)
    for out in outputs:
        if _node_name(out) not in names:
            import difflib

            close = difflib.get_close_matches(_node_name(out), sorted(names), n=3)
            raise MigrationError(f"{origin}: no node {_node_name(out)!r}" + (f"; did you mean {close}?" if close
                                                                              else "") + ".")
    return [_tensor_name(o) for o in outputs]


def _inputs_of(graph_def, inputs, origin) -> list:
    placeholders = [n.name for n in graph_def.node if n.op in ("Placeholder", "PlaceholderWithDefault")]
    if inputs:
        inputs = [inputs] if isinstance(inputs, str) else list(inputs)
        missing = [i for i in inputs if _node_name(i) not in placeholders]
        if missing:
            raise MigrationError(f"{origin}: {missing} are not placeholders; the graph's are {placeholders}.")
        return [_node_name(i) for i in inputs]
    if len(placeholders) != 1:
        raise MigrationError(f"{origin}: {len(placeholders)} placeholders {placeholders[:8]}; name the "
                             "input(s) with inputs=[...] (--inputs).")
    return placeholders


def _fix_input_shapes(graph_def, inputs, input_shape, origin):
    """Set each input's shape to [batch, *input_shape] where the graph leaves it open (a Keras model needs a
    static shape past the batch)."""
    for node in graph_def.node:
        if node.name not in inputs:
            continue
        dims = [d.size for d in node.attr["shape"].shape.dim] if not node.attr["shape"].shape.unknown_rank else None
        if input_shape is not None:
            if dims is not None and any(d not in (-1, s) for d, s in zip(dims[1:], input_shape)):
                raise MigrationError(f"{origin}: input {node.name!r} has shape {dims}; input_shape="
                                     f"{tuple(input_shape)} does not fit it.")
            dims = [-1, *input_shape]
        if dims is None or any(d < 0 for d in dims[1:]):
            raise MigrationError(f"{origin}: input {node.name!r} has an unknown shape {dims}: pass input_shape="
                                 "(H, W, C) (--input-shape H,W,C).")
        node.attr["shape"].shape.Clear()
        for d in [-1, *dims[1:]]:
            node.attr["shape"].shape.dim.add(size=d)


def _freeze(session, graph, outputs) -> tf.compat.v1.GraphDef:
    frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
        session, graph.as_graph_def(), [_node_name(o) for o in outputs])
    return tf.compat.v1.graph_util.extract_sub_graph(frozen, [_node_name(o) for o in outputs])


def _l2_scales(losses) -> dict:
    """{variable name: scale} of slim's / Keras' l2 regularizers in the graph's regularization collection:
    each loss is `scale * l2_loss(w)` (slim) or `scale * sum(square(w))` (tf.keras.regularizers.L2 in TF1,
    whose scale is then doubled to slim's convention)."""
    scales = {}
    for loss in losses:
        op = loss.op
        if op.type != "Mul":
            continue
        consts = [i for i in op.inputs if i.op.type == "Const"]
        others = [i for i in op.inputs if i.op.type != "Const"]
        if len(consts) != 1 or len(others) != 1:
            continue
        scale = float(tf.make_ndarray(consts[0].op.get_attr("value")))
        term = others[0].op
        if term.type == "Sum" and term.inputs[0].op.type == "Square":
            scale, term = 2.0 * scale, term.inputs[0].op
        elif term.type != "L2Loss":
            continue
        var = term.inputs[0].op
        while var.type in ("Identity", "ReadVariableOp") and var.inputs:
            var = var.inputs[0].op
        scales[var.name] = scale
    return scales


def from_net_fn(net_fn: Callable, input_shape: Sequence[int], arg_scope: Callable | None = None,
                checkpoint=None, outputs=None, seed: int = 0, **net_kwargs) -> FrozenGraph:
    """Build `net_fn(images, is_training=False, **net_kwargs)` (slim / tf.compat.v1.layers code) under
    `arg_scope()` in a TF1 graph, load `checkpoint` strictly by TF1 name (or keep seeded random weights), freeze.

    net_fn may return logits, (logits, end_points) as slim nets do, a list of tensors or a dict of them;
    `outputs` picks end points (or tensor names) instead."""
    import tf_slim as slim

    origin = getattr(net_fn, "__name__", None) or repr(net_fn)
    if input_shape is None:
        raise MigrationError(f"{origin}: a net function needs input_shape=(H, W, C) (--input-shape).")
    with tf1_graph() as graph:
        tf.compat.v1.set_random_seed(seed)
        images = tf.compat.v1.placeholder(tf.float32, [None, *input_shape], name="input")
        kwargs = dict(net_kwargs)
        try:
            if "is_training" in inspect.signature(net_fn).parameters:
                kwargs["is_training"] = False
        except (TypeError, ValueError):
            kwargs["is_training"] = False
        scope = slim.arg_scope(arg_scope()) if arg_scope is not None else contextlib.nullcontext()
        with scope:
            result = net_fn(images, **kwargs)
        named = _named_results(result, outputs, graph, origin)
        losses = tf.compat.v1.losses.get_regularization_losses()
        variables = tf.compat.v1.global_variables()
        init = tf.compat.v1.global_variables_initializer()
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(init)
            report = _load(session, variables, checkpoint) if checkpoint is not None else None
            frozen = _freeze(session, graph, named)
    return FrozenGraph(frozen, ["input"], named, origin, _l2_scales(losses), report)


def _named_results(result, outputs, graph, origin) -> list:
    end_points = {}
    if isinstance(result, tuple) and len(result) == 2 and isinstance(result[1], dict):
        result, end_points = result
    if isinstance(result, dict):
        end_points, result = {**end_points, **result}, list(result.values())
    tensors = list(result) if isinstance(result, (list, tuple)) else [result]
    if not outputs:  # heads off the logits' path (Inception's AuxLogits) join as outputs, so no weight is lost
        reached = _variables_reached(tensors)
        for tensor in end_points.values():
            if isinstance(tensor, tf.Tensor) and not _variables_reached([tensor]) <= reached:
                tensors.append(tensor)
                reached |= _variables_reached([tensor])
    if outputs:
        outputs = [outputs] if isinstance(outputs, str) else outputs
        tensors = []
        for name in outputs:
            if name in end_points:
                tensors.append(end_points[name])
            else:
                try:
                    tensors.append(graph.get_tensor_by_name(_tensor_name(name)))
                except (KeyError, ValueError):
                    raise MigrationError(f"{origin}: no end point or tensor {name!r}; end points: "
                                         f"{sorted(end_points)[:12]}") from None
    return [t.name for t in tensors]


def _variables_reached(tensors) -> set:
    """Names of the variables `tensors` depend on."""
    seen, stack, found = set(), [t.op for t in tensors], set()
    while stack:
        op = stack.pop()
        if op.name in seen:
            continue
        seen.add(op.name)
        if op.type in ("VarHandleOp", "VariableV2"):
            found.add(op.name)
        stack.extend(i.op for i in op.inputs)
    return found


def _load(session, variables, checkpoint):
    """Set the graph's variables from a TF1 checkpoint by the zoo's engine (strict; report returned)."""
    from zoo.checkpoints import plan_load

    shapes = {v.op.name: tuple(v.shape.as_list()) for v in variables}
    report, values = plan_load(checkpoint, shapes)
    by_name = {v.op.name: v for v in variables}
    # One run feeding every initializer's value (what `Variable.load` does one variable per run: each of those runs
    # prunes the whole graph anew, 0.1 s apiece on NASNet's 11k ops, 110 of a 130 s migration).
    loads = [by_name[name] for name in values]
    session.run([v.initializer for v in loads], {v.initializer.inputs[1]: values[v.op.name] for v in loads})
    return report


def from_meta_graph(meta_graph, checkpoint=None, inputs=None, outputs=None,
                    input_shape: Sequence[int] | None = None) -> FrozenGraph:
    """A `Saver`'s `.meta` graph restored from `checkpoint` (default: the prefix beside it) by TF's own Saver."""
    meta_graph = os.fspath(meta_graph)
    if not os.path.isfile(meta_graph):
        raise MigrationError(f"No meta graph at {meta_graph!r} (the .meta file Saver wrote beside the checkpoint).")
    prefix = os.fspath(checkpoint) if checkpoint is not None else meta_graph[: -len(".meta")]
    if os.path.isdir(prefix):
        prefix = tf.train.latest_checkpoint(prefix) or prefix
    if not tf.io.gfile.exists(prefix + ".index"):
        raise MigrationError(f"No checkpoint at {prefix!r} for {meta_graph!r}: pass checkpoint= (--checkpoint).")
    with tf1_graph() as graph:
        saver = tf.compat.v1.train.import_meta_graph(meta_graph, clear_devices=True)
        graph_def = graph.as_graph_def()
        outputs = _check_outputs(graph_def, outputs, meta_graph)
        input_names = _inputs_of(graph_def, inputs, meta_graph)
        with tf.compat.v1.Session(graph=graph) as session:
            saver.restore(session, prefix)
            frozen = _freeze(session, graph, outputs)
    _fix_input_shapes(frozen, input_names, input_shape, meta_graph)
    return FrozenGraph(frozen, input_names, outputs, meta_graph)


def from_frozen_graph(path, inputs=None, outputs=None, input_shape: Sequence[int] | None = None) -> FrozenGraph:
    """A frozen GraphDef (`.pb`, weights as Const nodes), as TF-Slim's releases shipped them."""
    from zoo.checkpoints.frozen import parse_graph_def

    path = os.fspath(path)
    graph_def = parse_graph_def(path)
    outputs = _check_outputs(graph_def, outputs, path)
    graph_def = tf.compat.v1.graph_util.extract_sub_graph(graph_def, [_node_name(o) for o in outputs])
    input_names = _inputs_of(graph_def, inputs, path)
    _fix_input_shapes(graph_def, input_names, input_shape, path)
    return FrozenGraph(graph_def, input_names, outputs, path)


def run_graph(frozen: FrozenGraph, images: dict, fetches: Sequence[str]) -> list:
    """The reference: the frozen graph run by TensorFlow as a TF1 graph."""
    # Grappler off: on a frozen graph it folds and copies the weight constants (24 of VGG-16's 25 s); the graph is
    # then run op by op as written, which is what the reference should be.
    config = tf.compat.v1.ConfigProto()
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    with tf1_graph() as graph:
        tf.import_graph_def(frozen.graph_def, name="")
        with tf.compat.v1.Session(graph=graph, config=config) as session:
            feed = {_tensor_name(k): np.asarray(v) for k, v in images.items()}
            return session.run([_tensor_name(f) for f in fetches], feed)
