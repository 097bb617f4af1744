"""A frozen TF1 inference graph -> the Python source of a Keras 3 functional model built with the kit.

The graph is walked from its outputs in topological order. Each weight op, with the bias add after it, becomes
one Keras layer named by its TF1 variable scope ('/' written '-', the zoo's one naming rule with an empty root),
so `SlimMapping(root="")` — and so `zoo.load_checkpoint` — finds every TF1 variable by name. The glue between
layers becomes Keras layers or `keras.ops` calls, which run on TensorFlow, JAX and PyTorch. Shape arithmetic
(`Shape`, `StridedSlice`, `Pack`, ... on constants) is folded by TensorFlow itself, with the batch size standing
as `BATCH`, so a `Reshape` to `[batch, -1]` is recognised whatever way the graph computed it.

An op with no translation stops the migration with one line naming the op, its node and scope, and how to
register a translation (`register_op`): never a silent fallback.
"""
from __future__ import annotations

import builtins
import collections
import dataclasses
import keyword
import re
from typing import Callable

import numpy as np
import tensorflow as tf

from zoo.checkpoints.mapping import layer_name
from zoo.compat import tf1_graph
from zoo.migration.source import FrozenGraph, MigrationError

BATCH = 9973  # stands for the batch size in folded shape arithmetic (a prime no real dimension is)
_LITERAL_LIMIT = 64  # constants up to this size are written into the code; larger ones must be weights


class UnsupportedGraphError(MigrationError):
    """The graph holds something the translator does not know: one line says what, where and what to do."""


@dataclasses.dataclass
class Sym:
    """A Keras tensor of the generated code, with the TF graph's static shape (batch None)."""
    var: str
    shape: tuple


@dataclasses.dataclass
class Const:
    """A constant of the graph: a weight (named by its TF1 variable) or a small literal."""
    value: np.ndarray
    name: str


@dataclasses.dataclass
class Statement:
    target: str
    template: str         # the right-hand side, with {0}, {1}, ... for the input variables
    inputs: list          # input variable names


# -- the op table ----------------------------------------------------------------------------------------------
OPS: dict = {}


def register_op(op_type: str, fn: Callable | None = None):
    """Register `fn(t, node, inputs) -> Sym | Const` as the translation of TF op type `op_type` (usable as a
    decorator). `t` is the `Translator`: `t.layer(...)` / `t.call(...)` emit a line of the generated model,
    `t.attr(node, key)` reads an attribute, `t.weight(value, node)` checks a weight input; `inputs` are the
    op's data inputs already translated. A registered translation replaces a built-in one."""
    def add(f):
        OPS[op_type] = f
        return f
    return add(fn) if fn is not None else add


def _ops(*types):
    def add(f):
        for t in types:
            OPS[t] = f
        return f
    return add


def _scope(name: str) -> str:
    return name.rsplit("/", 1)[0] if "/" in name else ""


def _ident(text: str) -> str:
    out = re.sub(r"\W+", "_", text).strip("_").lower() or "x"
    if out[0].isdigit():
        out = "t_" + out
    if keyword.iskeyword(out) or hasattr(builtins, out):
        out += "_"
    return out


_NONE = object()
# Keyword arguments left out of the generated code where they equal Keras' defaults (shorter lines).
_KERAS_DEFAULTS = {"strides": 1, "padding": "valid", "use_bias": True, "dilation_rate": 1, "center": True,
                   "scale": True}


def _py(value) -> str:
    """Python source for an argument: strings in double quotes, numpy values exact, code as written."""
    if isinstance(value, _Code):
        return value.text
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, (np.ndarray, np.generic)):
        return _literal(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, tuple):
        return "(" + ", ".join(_py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(_py(v) for v in value) + "]"
    return repr(value)


def _literal(value) -> str:
    """Python source for a constant: exact for float32 (repr of the float32 value as a Python float)."""
    a = np.asarray(value)
    if a.ndim == 0:
        return _float(a) if a.dtype.kind == "f" else repr(a.item())
    if a.dtype.kind == "f":
        return f"np.array([{', '.join(_float(v) for v in a.ravel())}], dtype=\"float32\").reshape({a.shape})"
    return repr(a.tolist())


def _float(v) -> str:
    """The shortest decimal that reads back as the same float32 (Keras computes in float32)."""
    text = str(np.float32(v))
    return text if any(c in text for c in ".en") else text + ".0"


# Weight variables' last name component, by convention: slim (and tf_slim's nets) or tf.compat.v1.layers.
_SLIM_LEAVES = {"weights": "slim", "depthwise_weights": "slim", "kernel": "layers", "depthwise_kernel": "layers"}


class Translator:
    """Walks one `FrozenGraph` and writes the generated module's `build_model()` body."""

    def __init__(self, frozen: FrozenGraph):
        self.frozen = frozen
        self.nodes = {n.name: n for n in frozen.graph_def.node}
        with tf1_graph() as self.graph:
            tf.import_graph_def(frozen.graph_def, name="")
        self.consumers = collections.defaultdict(list)
        for n in frozen.graph_def.node:
            for i in n.input:
                if not i.startswith("^"):
                    self.consumers[i.split(":")[0]].append(n)
        self.values: dict = {}          # tensor name -> Sym | Const
        self.statements: list = []
        self.weights: dict = {}         # TF1 variable name -> array
        self.layer_tensors: dict = {}   # Keras layer name -> the TF tensor its output equals
        self.absorbed: dict = {}        # node name -> value (a bias add or pointwise conv folded into a layer)
        self.uses_tf1_layers = False
        self.uses_numpy = False
        self._names: set = set()
        self._vars: set = set()
        self.blocks = _normalization_blocks(self)
        self.shared = _shared_scopes(self)  # scopes whose variables several ops use (TF1 reuse): one Keras layer
        self._shared_layers: dict = {}

    # -- reading the graph --------------------------------------------------------------------------------
    def shape(self, tensor: str) -> tuple:
        shape = self.graph.get_tensor_by_name(tensor).shape
        return tuple(shape.as_list()) if shape.rank is not None else None

    def attr(self, node, key, default=None):
        if key not in node.attr:
            return default
        a = node.attr[key]
        kind = a.WhichOneof("value")
        if kind == "list":
            lst = a.list
            return list(lst.i) or list(lst.f) or [s.decode() for s in lst.s] or []
        if kind == "s":
            return a.s.decode()
        if kind == "type":
            return tf.as_dtype(a.type).name
        return getattr(a, kind) if kind else default

    def const_node(self, tensor: str):
        """The Const node behind `tensor` (through Identity reads), or None."""
        node = self.nodes.get(tensor.split(":")[0].lstrip("^"))
        while node is not None and node.op in ("Identity", "Snapshot") and node.input:
            node = self.nodes[node.input[0].split(":")[0]]
        return node if node is not None and node.op == "Const" else None

    def const_of(self, tensor: str):
        """The Const behind `tensor` (through Identity reads), or None."""
        node = self.const_node(tensor)
        return None if node is None else Const(tf.make_ndarray(node.attr["value"].tensor), node.name)

    def where(self, node) -> str:
        return f"node {node.name!r} (scope {_scope(node.name) or '<root>'!r})"

    def weight(self, value, node, what="weights") -> Const:
        """Check that `value` is a named weight constant and record it under its TF1 name."""
        if not isinstance(value, Const) or value.value.ndim == 0:
            raise UnsupportedGraphError(f"{node.op} at {self.where(node)} takes computed {what}, not a variable; "
                                        "only variables (frozen constants) become Keras weights.")
        self.weights[value.name] = value.value
        return value

    def sym(self, value, node) -> Sym:
        if not isinstance(value, Sym):
            raise UnsupportedGraphError(f"{node.op} at {self.where(node)} takes a constant where a tensor was "
                                        "expected.")
        return value

    # -- writing the model -------------------------------------------------------------------------------
    def layer_name_of(self, scope: str) -> str:
        """A unique Keras layer name for a TF1 scope, by the zoo's naming rule."""
        name = layer_name(scope) or "root"
        candidate, i = name, 1
        while candidate in self._names:
            candidate, i = f"{name}_{i}", i + 1
        self._names.add(candidate)
        return candidate

    def _var(self, hint: str) -> str:
        parts = [p for p in hint.split("/") if p]
        base = _ident("_".join(parts[-2:]) if parts else "x")
        var, i = base, 1
        while var in self._vars:
            var, i = f"{base}_{i}", i + 1
        self._vars.add(var)
        return var

    def _args(self, args, kwargs) -> str:
        parts = [_py(a) for a in args]
        parts += [f"{key}={_py(v)}" for key, v in kwargs.items() if _KERAS_DEFAULTS.get(key, _NONE) != v]
        return ", ".join(parts)

    def layer(self, cls: str, inputs, tensor: str, scope: str, *args, **kwargs) -> Sym:
        """Emit `var = cls(*args, **kwargs, name=<scope>)(inputs)`; `tensor` is the TF output it equals."""
        name = self.layer_name_of(scope)
        self._note_module(cls)
        call = self._args(args, {**kwargs, "name": name})
        if isinstance(inputs, (list, tuple)):
            syms = list(inputs)
            arg = "[" + ", ".join(f"{{{i}}}" for i in range(len(syms))) + "]"
        else:
            syms, arg = [inputs], "{0}"
        out = Sym(self._var(scope), self.shape(tensor))
        if scope not in self.shared:
            self.statements.append(Statement(out.var, f"{cls}({call})({arg})", [s.var for s in syms]))
            self.layer_tensors[name] = tensor
            return out
        if scope not in self._shared_layers:  # defined once, called at each use (its output is per call)
            self._shared_layers[scope] = self._var(scope + "/layer")
            self.statements.append(Statement(self._shared_layers[scope], f"{cls}({call})", []))
        else:
            self._names.discard(name)
        self.statements.append(Statement(out.var, f"{self._shared_layers[scope]}({arg})", [s.var for s in syms]))
        return out

    def call(self, fn: str, args, tensor: str, **kwargs) -> Sym:
        """Emit `var = fn(*args, **kwargs)` (a `keras.ops` function); args may mix Syms and constants."""
        self._note_module(fn)
        syms, parts = [], []
        for a in args:
            if isinstance(a, Sym):
                parts.append(f"{{{len(syms)}}}")
                syms.append(a.var)
            elif isinstance(a, Const):
                parts.append(self._constant(a).replace("{", "{{").replace("}", "}}"))
            else:
                parts.append(_py(a).replace("{", "{{").replace("}", "}}"))
        extra = self._args((), kwargs).replace("{", "{{").replace("}", "}}")
        out = Sym(self._var(tensor.split(":")[0]), self.shape(tensor))
        self.statements.append(Statement(out.var, f"{fn}({', '.join(parts + ([extra] if extra else []))})", syms))
        return out

    def expression(self, template: str, inputs, tensor: str) -> Sym:
        """Emit a free-form right-hand side (e.g. slicing `{0}[:, 1:, 1:, :]`)."""
        out = Sym(self._var(tensor.split(":")[0]), self.shape(tensor))
        self.statements.append(Statement(out.var, template, [s.var for s in inputs]))
        return out

    def _constant(self, c: Const) -> str:
        if c.value.size > _LITERAL_LIMIT:
            raise UnsupportedGraphError(
                f"constant {c.name!r} (shape {list(c.value.shape)}) feeds an op that is not a layer: only "
                "variables become weights; fold it into a variable or register a translation (zoo.migration."
                "register_op).")
        if c.value.ndim and c.value.dtype.kind == "f":
            self.uses_numpy = True
        return _literal(c.value)

    def _note_module(self, expr: str):
        if expr.startswith("tf1."):
            self.uses_tf1_layers = True

    # -- the walk --------------------------------------------------------------------------------------------
    def _deps(self, node) -> list:
        if node.name in self.blocks:
            return [self.blocks[node.name].x.split(":")[0]]
        return [i.split(":")[0] for i in node.input if not i.startswith("^")]

    def _order(self, outputs) -> list:
        order, state = [], {}
        stack = [(o.split(":")[0], False) for o in reversed(outputs)]
        while stack:
            name, done = stack.pop()
            if done:
                if state.get(name) != 2:
                    state[name] = 2
                    order.append(name)
                continue
            if state.get(name):
                continue
            state[name] = 1
            stack.append((name, True))
            node = self.nodes[name]
            if node.op in ("Placeholder", "Const"):
                continue
            for dep in reversed(self._deps(node)):
                if not state.get(dep):
                    stack.append((dep, False))
        return order

    def translate(self) -> "Program":
        inputs = []
        for name in self.frozen.inputs:
            shape = self.shape(f"{name}:0")
            var = self._var(name) if len(self.frozen.inputs) > 1 else "images"
            self._vars.add(var)
            self.values[f"{name}:0"] = Sym(var, shape)
            inputs.append((var, name, shape[1:]))
        for name in self._order(self.frozen.outputs):
            node = self.nodes[name]
            if f"{name}:0" in self.values:
                continue
            if node.op == "Placeholder":
                raise UnsupportedGraphError(f"the outputs depend on placeholder {name!r}, which is not an input; "
                                            f"name it in inputs=[...] (inputs now: {self.frozen.inputs}).")
            self._visit(node)
        outputs = []
        for o in self.frozen.outputs:
            value = self.values[o]
            if not isinstance(value, Sym):
                raise UnsupportedGraphError(f"output {o!r} is a constant: it does not depend on the input.")
            outputs.append(value.var)
        return Program(self, inputs, outputs)

    def _visit(self, node):
        if node.name in self.absorbed:
            self.values[f"{node.name}:0"] = self.absorbed[node.name]
            return
        if node.name in self.blocks:
            self.values[f"{node.name}:0"] = self.blocks[node.name].emit(self)
            return
        if node.op == "Const":
            self.values[f"{node.name}:0"] = self.const_of(node.name)
            return
        inputs = [self.values[i if ":" in i else f"{i}:0"] for i in node.input if not i.startswith("^")]
        if node.op in _FOLDABLE_UNLESS_WEIGHT and inputs and all(isinstance(v, Const) for v in inputs):
            for i, value in enumerate(_fold(node, inputs)):
                self.values[f"{node.name}:{i}"] = Const(value, node.name)
            return
        if node.op == "Shape":
            shape = self.sym(inputs[0], node).shape
            if shape is None or any(d is None for d in shape[1:]):
                raise UnsupportedGraphError(f"Shape at {self.where(node)} of a tensor with unknown dimensions "
                                            f"{shape}.")
            dtype = self.attr(node, "out_type", "int32")
            self.values[f"{node.name}:0"] = Const(np.array([BATCH, *shape[1:]], dtype=dtype), node.name)
            return
        handler = OPS.get(node.op)
        if handler is None:
            raise UnsupportedGraphError(_unsupported(node, self))
        out = handler(self, node, inputs)
        for i, value in enumerate(out if isinstance(out, list) else [out]):
            self.values[f"{node.name}:{i}"] = value


class _Code:
    """A keyword argument written as code (e.g. `k.l2(4e-05)`), not as a literal."""

    def __init__(self, text):
        self.text = text

    def __repr__(self):
        return self.text


_CONTROL_FLOW = {"Switch", "Merge", "Enter", "Exit", "NextIteration", "LoopCond", "While", "StatelessWhile", "If",
                 "StatelessIf", "Case"}
_RANDOM = {"RandomUniform", "RandomStandardNormal", "TruncatedNormal", "RandomShuffle", "Multinomial"}
_TRAINING = {"AssignMovingAvg", "AssignSubVariableOp", "AssignVariableOp", "Assign", "AssignSub", "ApplyGradientDescent"}


def _unsupported(node, t) -> str:
    where = t.where(node)
    if node.op in _CONTROL_FLOW:
        return (f"control flow ({node.op}) at {where}: the migrator translates straight-line inference graphs; "
                "build the net with is_training=False (a Python bool, not a tensor) and without tf.cond/while.")
    if node.op in _RANDOM or node.op in _TRAINING:
        return (f"a training-only op ({node.op}) at {where}: migrate the inference graph (is_training=False, "
                "dropout off).")
    return (f"no translation for TF op {node.op!r} at {where}; register one with "
            f"zoo.migration.register_op({node.op!r}, fn) (docs/migrate.md lists the ops translated).")


_FOLDABLE_UNLESS_WEIGHT = {
    "StridedSlice", "Pack", "ConcatV2", "Cast", "Prod", "Mul", "Add", "AddV2", "Sub", "FloorDiv", "RealDiv",
    "Maximum", "Minimum", "Range", "Fill", "Reshape", "ExpandDims", "Squeeze", "Slice", "Rsqrt", "Sqrt",
    "GatherV2", "Gather", "Size", "Neg", "Floor", "Transpose", "Tile", "Unpack"}


def _fold(node, inputs) -> list:
    """Evaluate `node` on constant inputs with TensorFlow itself (so every op folds as TF computes it)."""
    graph_def = tf.compat.v1.GraphDef()
    for i, c in enumerate(inputs):
        graph_def.node.add().CopyFrom(_const_node(f"in{i}", c.value))
    copy = graph_def.node.add()
    copy.CopyFrom(node)
    copy.name = "op"
    del copy.input[:]
    copy.input.extend(f"in{i}" for i in range(len(inputs)))
    with tf1_graph() as graph:
        tf.import_graph_def(graph_def, name="")
        op = graph.get_operation_by_name("op")
        with tf.compat.v1.Session(graph=graph) as session:
            return [np.asarray(v) for v in session.run(list(op.outputs))]


def _const_node(name, value):
    node = tf.compat.v1.NodeDef(name=name, op="Const")
    value = np.asarray(value)
    node.attr["dtype"].type = tf.as_dtype(value.dtype).as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
    return node


_WEIGHT_OPS = ("Conv2D", "DepthwiseConv2dNative", "MatMul", "Conv2DBackpropInput")


def _shared_scopes(t: "Translator") -> set:
    """Scopes of the weights that more than one op reads (a TF1 variable reused, as siamese towers do)."""
    uses = collections.Counter()
    for node in t.nodes.values():
        if node.op in _WEIGHT_OPS:
            weight = t.const_node(node.input[1])
            if weight is not None:
                uses[weight.name] += 1
    return {_scope(name) for name, count in uses.items() if count > 1}


# -- normalizations slim writes as ops (layer norm, instance norm, batch norm on 2-D inputs) --------------------
@dataclasses.dataclass
class _Block:
    scope: str
    kind: str        # "batch_norm" | "moments"
    x: str           # the external input tensor
    output: str
    epsilon: float
    axes: list
    center: bool
    scale: bool

    def emit(self, t: Translator) -> Sym:
        x = t.sym(t.values[self.x if ":" in self.x else f"{self.x}:0"], t.nodes[self.output])
        for leaf in ("beta", "gamma", "moving_mean", "moving_variance"):
            c = t.const_of(f"{self.scope}/{leaf}")
            if c is not None:
                t.weights[c.name] = c.value
        if self.kind == "batch_norm":
            return t.layer("k.BatchNormalization", x, f"{self.output}:0", self.scope, epsilon=self.epsilon,
                           center=self.center, scale=self.scale)
        return t.layer("tf1.MomentsNormalization", x, f"{self.output}:0", self.scope, axes=self.axes,
                       epsilon=self.epsilon, center=self.center, scale=self.scale)


def _normalization_blocks(t: Translator) -> dict:
    """{output node: _Block} for each `S/batchnorm/add_1` whose scope S holds its own variables: slim's
    layer_norm / instance_norm (`S/moments/mean` over some axes, gamma/beta over the channels) and slim's batch
    norm on 2-D inputs (moving statistics, not the fused kernel)."""
    blocks = {}
    for name, node in t.nodes.items():
        if not name.endswith("/batchnorm/add_1"):
            continue
        scope = name[: -len("/batchnorm/add_1")]
        add = t.nodes.get(f"{scope}/batchnorm/add")
        if add is None:
            continue
        eps_consts = [t.const_of(i) for i in add.input if t.const_of(i) is not None and t.const_of(i).value.ndim == 0]
        epsilon = float(eps_consts[0].value) if eps_consts else None
        has = {leaf: t.const_of(f"{scope}/{leaf}") is not None for leaf in ("beta", "gamma", "moving_mean")}
        mul_1 = t.nodes.get(f"{scope}/batchnorm/mul_1")
        if epsilon is None or mul_1 is None:
            continue
        if has["moving_mean"]:
            xs = [i for i in mul_1.input if not i.split(":")[0].startswith(scope + "/") and t.const_of(i) is None]
            if len(xs) == 1:
                blocks[name] = _Block(scope, "batch_norm", xs[0], name, epsilon, [-1], has["beta"], has["gamma"])
        elif f"{scope}/moments/mean" in t.nodes:
            mean = t.nodes[f"{scope}/moments/mean"]
            axes = t.const_of(mean.input[1])
            if axes is not None:
                blocks[name] = _Block(scope, "moments", mean.input[0], name, epsilon,
                                      [int(a) for a in np.ravel(axes.value)], has["beta"], has["gamma"])
    return blocks


# -- the program: statements -> source ---------------------------------------------------------------------------
class Program:
    """The translated model: its statements, inputs, outputs and weights; `source()` writes the module."""

    def __init__(self, t: Translator, inputs, outputs):
        self.statements, self.inputs, self.outputs = t.statements, inputs, outputs
        self.weights, self.layer_tensors = t.weights, t.layer_tensors
        self.uses_tf1_layers, self.uses_numpy = t.uses_tf1_layers, t.uses_numpy
        roots = {n.split("/")[0] for n in t.weights}
        self.root = roots.pop() if len(roots) == 1 else ""

    def _names(self) -> dict:
        """Variables used once, by the very next line, become `x` (a chain reads as a person writes it)."""
        uses = collections.Counter(v for s in self.statements for v in s.inputs)
        keep = set(self.outputs)
        rename = {}
        for i, s in enumerate(self.statements[:-1]):
            nxt = self.statements[i + 1]
            if uses[s.target] == 1 and s.target in nxt.inputs and s.target not in keep:
                rename[s.target] = "x"
        return rename

    def body(self) -> list:
        rename = self._names()
        lines = [f"{var} = layers.Input(shape={tuple(shape)}, name={_py(name)})" for var, name, shape in self.inputs]
        for s in self.statements:
            rhs = s.template.format(*[rename.get(v, v) for v in s.inputs])
            lines.append(f"{rename.get(s.target, s.target)} = {rhs}")
        ins = [v for v, _, _ in self.inputs]
        outs = [rename.get(v, v) for v in self.outputs]
        fmt = (lambda vs: vs[0] if len(vs) == 1 else "[" + ", ".join(vs) + "]")
        lines.append(f"return k.Model({fmt(ins)}, {fmt(outs)}, name={_py(self.root or 'migrated')})")
        return lines

    def source(self, origin: str, header: str = "") -> str:
        imports = ["import numpy as np"] if self.uses_numpy else []
        imports.append("from zoo.nn import kit")
        if self.uses_tf1_layers:
            imports.append("from zoo.migration import layers as tf1")
        body = "\n".join("    " + line for line in self.body())
        doc = (f'"""{self.root or "A TF1 network"}, migrated from {origin} by `zoo migrate`.\n\n'
               "Every layer is named by its TF1 variable scope ('/' written '-'), so the TF1 checkpoint loads by name:\n"
               "    model = build_model(); zoo.load_checkpoint(model, \"weights.ckpt\")\n"
               f'{header}"""')
        return (f"{doc}\n" + "\n".join(imports) + "\n\n"
                'k = kit("keras")  # Keras 3 with slim\'s batch norm and average pool semantics on every backend\n'
                "layers, ops = k.layers, k.keras.ops\n\n\n"
                "def build_model():\n"
                f"{body}\n")


def translate(frozen: FrozenGraph) -> Program:
    """The `Program` (statements, weights, per-layer TF tensors) of a frozen inference graph."""
    return Translator(frozen).translate()
