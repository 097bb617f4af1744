"""The built-in translations, TF op type -> Keras 3: the op table of docs/migrate.md.

Weight ops (with the bias add after them) become Keras layers named by their TF1 variable scope; the glue between
them becomes Keras layers (activations, pooling, merges, padding, reshape) or `keras.ops` calls (reductions,
squeeze, slicing, elementwise math with constants), never a TensorFlow-only op.
"""
import numpy as np

from zoo.migration.translate import (OPS, BATCH, Const, Sym, UnsupportedGraphError, _Code, _ops, _py)

# -- built-in translations --------------------------------------------------------------------------------------
def _nhwc(t, node):
    if t.attr(node, "data_format", "NHWC") not in ("NHWC", ""):
        raise UnsupportedGraphError(f"{node.op} at {t.where(node)} is {t.attr(node, 'data_format')}; the "
                                    "migrator takes NHWC graphs (build with data_format='NHWC').")


def _hw(values, node, t, what):
    if len(values) != 4 or values[0] != 1 or values[3] != 1:
        raise UnsupportedGraphError(f"{node.op} at {t.where(node)} has {what} {values}: only spatial ones translate.")
    return values[1] if values[1] == values[2] else (values[1], values[2])


def _window(t, node, w) -> tuple:
    """A convolution's kernel size and its strides / padding / dilation keywords (defaults left out)."""
    kernel = w.value.shape[:2]
    size = int(kernel[0]) if kernel[0] == kernel[1] else tuple(int(k) for k in kernel)
    kwargs = dict(strides=_hw(t.attr(node, "strides"), node, t, "strides"), padding=_padding(t, node))
    dilation = _hw(t.attr(node, "dilations", [1, 1, 1, 1]), node, t, "dilations")
    if dilation != 1:
        kwargs["dilation_rate"] = dilation
    return size, kwargs


def _padding(t, node):
    """Keras' padding for a TF op ('same' / 'valid' are TF's on every Keras backend)."""
    padding = t.attr(node, "padding")
    if padding == "EXPLICIT":
        raise UnsupportedGraphError(f"{node.op} at {t.where(node)} pads explicitly {t.attr(node, 'explicit_paddings')}"
                                    "; write the padding as tf.pad before a VALID convolution.")
    return padding.lower()


def _kernel_kind(t, node, w: Const, slim_leaf: str, layers_leaf: str) -> tuple:
    scope, leaf = w.name.rsplit("/", 1) if "/" in w.name else ("", w.name)
    if leaf == slim_leaf:
        return scope, "slim"
    if leaf == layers_leaf:
        return scope, "layers"
    raise UnsupportedGraphError(
        f"{node.op} at {t.where(node)} uses variable {w.name!r}: the migrator names layers by slim's "
        f"'{slim_leaf}' or tf.compat.v1.layers' '{layers_leaf}' variables; rename it in the checkpoint "
        "(zoo convert --assignment-map) or register a translation (zoo.migration.register_op).")


def _bias_after(t, node, scope, kind) -> tuple:
    """The BiasAdd (or Add) right after `node` that adds `scope`'s bias variable: (node, Const) or (None, None)."""
    consumers = t.consumers.get(node.name, [])
    if len(consumers) != 1 or consumers[0].op not in ("BiasAdd", "Add", "AddV2"):
        return None, None
    add = consumers[0]
    bias = t.const_of(add.input[1]) if add.input[0].split(":")[0] == node.name else t.const_of(add.input[0])
    if bias is None or bias.name != f"{scope}/{'biases' if kind == 'slim' else 'bias'}":
        return None, None
    return add, bias


def _regularizer(t, w: Const) -> dict:
    scale = t.frozen.regularizers.get(w.name)
    return {"kernel_regularizer": _Code(f"k.l2({scale!r})")} if scale else {}


def _layer_with_bias(t, node, cls, x, w, scope, kind, args, kwargs):
    add, bias = _bias_after(t, node, scope, kind)
    if bias is not None:
        t.weight(bias, node, "biases")
    tensor = f"{(add or node).name}:0"
    out = t.layer(cls if kind == "slim" else f"tf1.{cls.split('.')[-1]}", x, tensor, scope, *args,
                  use_bias=bias is not None, **kwargs)
    if add is not None:
        t.absorbed[add.name] = out
    return out


@_ops("Conv2D")
def _conv2d(t, node, inputs):
    """`layers.Conv2D` (the bias add after it folded in; slim's weight decay as `kernel_regularizer`)."""
    _nhwc(t, node)
    x, w = t.sym(inputs[0], node), t.weight(inputs[1], node)
    scope, kind = _kernel_kind(t, node, w, "weights", "kernel")
    size, kwargs = _window(t, node, w)
    return _layer_with_bias(t, node, "layers.Conv2D", x, w, scope, kind, (int(w.value.shape[3]), size),
                            {**kwargs, **_regularizer(t, w)})


@_ops("DepthwiseConv2dNative")
def _depthwise(t, node, inputs):
    """`layers.DepthwiseConv2D`, or `layers.SeparableConv2D` with the pointwise Conv2D of its scope."""
    _nhwc(t, node)
    x, w = t.sym(inputs[0], node), t.weight(inputs[1], node)
    scope, kind = _kernel_kind(t, node, w, "depthwise_weights", "depthwise_kernel")
    size, kwargs = _window(t, node, w)
    if int(w.value.shape[3]) != 1:
        kwargs["depth_multiplier"] = int(w.value.shape[3])
    pointwise = _pointwise_after(t, node, scope, kind)
    if pointwise is not None:
        pw_node, pw = pointwise
        t.weight(pw, pw_node)
        regs = {f"{part}_regularizer": _Code(f"k.l2({t.frozen.regularizers[c.name]!r})")
                for part, c in (("depthwise", w), ("pointwise", pw)) if t.frozen.regularizers.get(c.name)}
        out = _layer_with_bias(t, pw_node, "layers.SeparableConv2D", x, w, scope, kind,
                               (int(pw.value.shape[3]), size), {**kwargs, **regs})
        t.absorbed[pw_node.name] = out
        return out
    reg = t.frozen.regularizers.get(w.name)
    if reg:
        kwargs["depthwise_regularizer"] = _Code(f"k.l2({reg!r})")
    return _layer_with_bias(t, node, "layers.DepthwiseConv2D", x, w, scope, kind, (size,), kwargs)


def _pointwise_after(t, node, scope, kind):
    consumers = t.consumers.get(node.name, [])
    if len(consumers) != 1 or consumers[0].op != "Conv2D":
        return None
    pw = t.const_of(consumers[0].input[1])
    leaf = "pointwise_weights" if kind == "slim" else "pointwise_kernel"
    if pw is None or pw.name != f"{scope}/{leaf}" or t.attr(consumers[0], "strides") != [1, 1, 1, 1]:
        return None
    return consumers[0], pw


@_ops("MatMul")
def _matmul(t, node, inputs):
    """`layers.Dense` (with the bias add after it)."""
    if t.attr(node, "transpose_a") or t.attr(node, "transpose_b"):
        raise UnsupportedGraphError(f"MatMul at {t.where(node)} transposes an operand; Dense takes x @ W.")
    x, w = t.sym(inputs[0], node), t.weight(inputs[1], node)
    scope, kind = _kernel_kind(t, node, w, "weights", "kernel")
    return _layer_with_bias(t, node, "layers.Dense", x, w, scope, kind, (int(w.value.shape[1]),),
                            _regularizer(t, w))


@_ops("Conv2DBackpropInput")
def _conv2d_transpose(t, node, inputs):
    """`layers.Conv2DTranspose` (output size checked against Keras')."""
    _nhwc(t, node)
    w, x = t.weight(inputs[1], node), t.sym(inputs[2], node)
    scope, kind = _kernel_kind(t, node, w, "weights", "kernel")
    strides = _hw(t.attr(node, "strides"), node, t, "strides")
    padding = t.attr(node, "padding").lower()
    kh, kw = (int(d) for d in w.value.shape[:2])
    s = strides if isinstance(strides, tuple) else (strides, strides)
    want = t.shape(f"{node.name}:0")[1:3]
    keras = [n * st if padding == "same" else n * st + max(k - st, 0)
             for n, st, k in zip(x.shape[1:3], s, (kh, kw))]
    if list(want) != keras:
        raise UnsupportedGraphError(f"Conv2DBackpropInput at {t.where(node)} outputs {list(want)}, Keras' "
                                    f"Conv2DTranspose would give {keras}.")
    size = kh if kh == kw else (kh, kw)
    return _layer_with_bias(t, node, "layers.Conv2DTranspose", x, w, scope, kind, (int(w.value.shape[2]), size),
                            dict(strides=strides, padding=padding, **_regularizer(t, w)))


@_ops("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
def _fused_batch_norm(t, node, inputs):
    """`k.BatchNormalization` (TF's fused kernel semantics on every backend; inference graphs only)."""
    _nhwc(t, node)
    if t.attr(node, "is_training"):
        raise UnsupportedGraphError(f"training-mode batch norm at {t.where(node)} (it normalizes by the batch): "
                                    "migrate the inference graph (is_training=False).")
    x = t.sym(inputs[0], node)
    gamma, beta, mean, variance = inputs[1:5]
    t.weight(mean, node, "moving_mean")
    t.weight(variance, node, "moving_variance")
    if not mean.name.endswith("/moving_mean"):
        raise UnsupportedGraphError(f"batch norm at {t.where(node)} reads {mean.name!r}, not a moving_mean.")
    scope = mean.name[: -len("/moving_mean")]
    flags = {}
    for c, leaf, neutral in ((gamma, "gamma", 1.0), (beta, "beta", 0.0)):
        if c.name == f"{scope}/{leaf}":
            t.weight(c, node, leaf)
        elif np.all(c.value == neutral):
            flags["scale" if leaf == "gamma" else "center"] = False
        else:
            raise UnsupportedGraphError(f"batch norm at {t.where(node)} takes {leaf} from {c.name!r}.")
    return t.layer("k.BatchNormalization", x, f"{node.name}:0", scope, epsilon=float(np.float32(
        t.attr(node, "epsilon"))), **flags)


def _act(cls, **fixed):
    def translate(t, node, inputs):
        return t.layer(cls, t.sym(inputs[0], node), f"{node.name}:0", node.name, **fixed)
    translate.__doc__ = f"`{cls}({', '.join(f'{k}={v!r}' for k, v in fixed.items())})`."
    return translate


for _op, _cls, _kw in (("Relu", "layers.ReLU", {}), ("Relu6", "layers.ReLU", {"max_value": 6.0}),
                       ("Softmax", "layers.Softmax", {})):
    OPS[_op] = _act(_cls, **_kw)
for _op, _name in (("Sigmoid", "sigmoid"), ("Tanh", "tanh"), ("Elu", "elu"), ("Selu", "selu"),
                   ("Softplus", "softplus"), ("Softsign", "softsign")):
    OPS[_op] = _act("layers.Activation", activation=_name)


@_ops("LeakyRelu")
def _leaky(t, node, inputs):
    """`layers.LeakyReLU`."""
    return t.layer("layers.LeakyReLU", t.sym(inputs[0], node), f"{node.name}:0", node.name,
                   negative_slope=float(np.float32(t.attr(node, "alpha"))))


def _unary(fn):
    def translate(t, node, inputs):
        return t.call(fn, [t.sym(inputs[0], node)], f"{node.name}:0")
    translate.__doc__ = f"`{fn}`."
    return translate


for _op, _fn in (("Rsqrt", "ops.rsqrt"), ("Sqrt", "ops.sqrt"), ("Square", "ops.square"), ("Exp", "ops.exp"),
                 ("Log", "ops.log"), ("Neg", "ops.negative"), ("Abs", "ops.abs"), ("Reciprocal", "ops.reciprocal"),
                 ("Erf", "ops.erf"), ("Floor", "ops.floor")):
    OPS[_op] = _unary(_fn)


def _binary(fn, merge=None):
    def translate(t, node, inputs):
        a, b = inputs
        if merge and isinstance(a, Sym) and isinstance(b, Sym) and a.shape == b.shape:
            return t.layer(merge, [a, b], f"{node.name}:0", node.name)
        return t.call(fn, [a, b], f"{node.name}:0")
    translate.__doc__ = (f"`{merge}` on two tensors of one shape, else `{fn}` (broadcasting, constants)." if merge
                         else f"`{fn}`.")
    return translate


for _op, _fn, _merge in (("Add", "ops.add", "layers.Add"), ("AddV2", "ops.add", "layers.Add"),
                         ("Sub", "ops.subtract", "layers.Subtract"), ("Mul", "ops.multiply", "layers.Multiply"),
                         ("RealDiv", "ops.divide", None), ("Maximum", "ops.maximum", "layers.Maximum"),
                         ("Minimum", "ops.minimum", "layers.Minimum"), ("Pow", "ops.power", None),
                         ("SquaredDifference", None, None)):
    if _fn:
        OPS[_op] = _binary(_fn, _merge)


@_ops("SquaredDifference")
def _squared_difference(t, node, inputs):
    """`ops.square(ops.subtract(a, b))`."""
    diff = t.call("ops.subtract", inputs, f"{node.name}:0")
    return t.call("ops.square", [diff], f"{node.name}:0")


@_ops("AddN")
def _add_n(t, node, inputs):
    """`layers.Add`."""
    return t.layer("layers.Add", [t.sym(v, node) for v in inputs], f"{node.name}:0", node.name)


@_ops("BiasAdd")
def _bias_add(t, node, inputs):
    """folded into the layer before it (refused alone)."""
    raise UnsupportedGraphError(f"BiasAdd at {t.where(node)} follows no layer of its scope (bias "
                                f"{getattr(inputs[1], 'name', '?')!r}); register a translation for it.")


@_ops("MaxPool", "AvgPool")
def _pool(t, node, inputs):
    """`layers.MaxPooling2D` / `k.AveragePooling2D` (TF's SAME average on every backend)."""
    _nhwc(t, node)
    cls = "layers.MaxPooling2D" if node.op == "MaxPool" else "k.AveragePooling2D"
    size, strides = _hw(t.attr(node, "ksize"), node, t, "ksize"), _hw(t.attr(node, "strides"), node, t, "strides")
    kwargs = {} if strides == size else {"strides": _Code(_py(strides))}  # Keras' default is the pool size
    return t.layer(cls, t.sym(inputs[0], node), f"{node.name}:0", node.name, size, **kwargs,
                   padding=t.attr(node, "padding").lower())


@_ops("LRN")
def _lrn(t, node, inputs):
    """`k.LocalResponseNormalization`."""
    return t.layer("k.LocalResponseNormalization", t.sym(inputs[0], node), f"{node.name}:0", node.name,
                   depth_radius=int(t.attr(node, "depth_radius")), bias=float(np.float32(t.attr(node, "bias"))),
                   alpha=float(np.float32(t.attr(node, "alpha"))), beta=float(np.float32(t.attr(node, "beta"))))


def _axes(t, node, c) -> list:
    if not isinstance(c, Const):
        raise UnsupportedGraphError(f"{node.op} at {t.where(node)} takes computed axes.")
    return [int(a) for a in np.ravel(c.value)]


@_ops("ConcatV2")
def _concat(t, node, inputs):
    """`layers.Concatenate`."""
    axis = _axes(t, node, inputs[-1])[0]
    values = [t.sym(v, node) for v in inputs[:-1]]
    return t.layer("layers.Concatenate", values, f"{node.name}:0", node.name, axis=axis)


@_ops("Pad", "PadV2", "MirrorPad")
def _pad(t, node, inputs):
    """`layers.ZeroPadding2D` (spatial zeros), else `ops.pad`."""
    x, pads = t.sym(inputs[0], node), inputs[1]
    if not isinstance(pads, Const):
        raise UnsupportedGraphError(f"{node.op} at {t.where(node)} takes computed paddings.")
    p = pads.value.astype(int).tolist()
    value = float(inputs[2].value) if node.op == "PadV2" else 0.0
    if node.op != "MirrorPad" and value == 0.0 and len(p) == 4 and p[0] == [0, 0] and p[3] == [0, 0]:
        return t.layer("layers.ZeroPadding2D", x, f"{node.name}:0", node.name, padding=(tuple(p[1]), tuple(p[2])))
    mode = {"Pad": "constant", "PadV2": "constant"}.get(node.op) or t.attr(node, "mode").lower()
    kwargs = {"mode": mode, **({"constant_values": value} if value else {})}
    return t.call("ops.pad", [x, p], f"{node.name}:0", **kwargs)


def _reduction(fn):
    def translate(t, node, inputs):
        return t.call(fn, [t.sym(inputs[0], node)], f"{node.name}:0", axis=tuple(_axes(t, node, inputs[1])),
                      keepdims=bool(t.attr(node, "keep_dims")))
    translate.__doc__ = f"`{fn}(x, axis, keepdims)`."
    return translate


for _op, _fn in (("Mean", "ops.mean"), ("Sum", "ops.sum"), ("Max", "ops.max"), ("Min", "ops.min"),
                 ("Prod", "ops.prod")):
    OPS[_op] = _reduction(_fn)


@_ops("Squeeze")
def _squeeze(t, node, inputs):
    """`ops.squeeze`."""
    x = t.sym(inputs[0], node)
    dims = t.attr(node, "squeeze_dims") or [i for i, d in enumerate(x.shape) if i and d == 1]
    return t.call("ops.squeeze", [x], f"{node.name}:0", axis=tuple(int(d) for d in dims))


@_ops("ExpandDims")
def _expand_dims(t, node, inputs):
    """`ops.expand_dims`."""
    return t.call("ops.expand_dims", [t.sym(inputs[0], node)], f"{node.name}:0",
                  axis=_axes(t, node, inputs[1])[0])


@_ops("Reshape")
def _reshape(t, node, inputs):
    """`layers.Reshape` (a per-example shape; the batch found through folded shape arithmetic)."""
    x, shape = t.sym(inputs[0], node), inputs[1]
    if not isinstance(shape, Const):
        raise UnsupportedGraphError(f"Reshape at {t.where(node)} takes a shape computed from data.")
    target = [int(d) for d in np.ravel(shape.value)]
    if target and target[0] in (BATCH, -1) and all(d != BATCH and (d < BATCH or d % BATCH) for d in target[1:]):
        rest = tuple(-1 if d == -1 else d for d in target[1:])
        return t.layer("layers.Reshape", x, f"{node.name}:0", node.name, rest)
    raise UnsupportedGraphError(f"Reshape at {t.where(node)} to {target} moves the batch dimension (a fixed "
                                "batch size, or one folded into another axis); Keras reshapes per example.")


@_ops("StridedSlice")
def _strided_slice(t, node, inputs):
    """Python slicing of the Keras tensor, `x[:, 1:, 1:, :]`."""
    x = t.sym(inputs[0], node)
    begin, end, strides = (np.ravel(c.value).astype(int) for c in inputs[1:4])
    masks = {k: int(t.attr(node, k, 0)) for k in ("begin_mask", "end_mask", "ellipsis_mask", "new_axis_mask",
                                                     "shrink_axis_mask")}
    parts = []
    for i in range(len(begin)):
        bit = 1 << i
        if masks["ellipsis_mask"] & bit:
            parts.append("...")
        elif masks["new_axis_mask"] & bit:
            parts.append("None")
        elif masks["shrink_axis_mask"] & bit:
            parts.append(str(int(begin[i])))
        else:
            b = "" if masks["begin_mask"] & bit else str(int(begin[i]))
            e = "" if masks["end_mask"] & bit else str(int(end[i]))
            s = "" if strides[i] == 1 else f":{int(strides[i])}"
            parts.append(f"{b}:{e}{s}")
    return t.expression("{0}[" + ", ".join(parts) + "]", [x], f"{node.name}:0")


@_ops("Slice")
def _slice(t, node, inputs):
    """Python slicing of the Keras tensor."""
    x = t.sym(inputs[0], node)
    begin, size = (np.ravel(c.value).astype(int) for c in inputs[1:3])
    parts = [f"{b}:" if s == -1 else f"{b}:{b + s}" for b, s in zip(begin, size)]
    parts = [":" if p == "0:" else p for p in parts]
    return t.expression("{0}[" + ", ".join(parts) + "]", [x], f"{node.name}:0")


@_ops("Transpose")
def _transpose(t, node, inputs):
    """`ops.transpose`."""
    return t.call("ops.transpose", [t.sym(inputs[0], node)], f"{node.name}:0",
                  axes=tuple(_axes(t, node, inputs[1])))


@_ops("Tile")
def _tile(t, node, inputs):
    """`ops.tile`."""
    return t.call("ops.tile", [t.sym(inputs[0], node), _axes(t, node, inputs[1])], f"{node.name}:0")


@_ops("Cast")
def _cast(t, node, inputs):
    """`ops.cast`."""
    return t.call("ops.cast", [t.sym(inputs[0], node), t.attr(node, "DstT")], f"{node.name}:0")


@_ops("Identity", "StopGradient", "Snapshot", "PreventGradient", "CheckNumerics", "PlaceholderWithDefault")
def _identity(t, node, inputs):
    """nothing (the input passes through)."""
    return inputs[0]


@_ops("ResizeBilinear", "ResizeNearestNeighbor")
def _resize(t, node, inputs):
    """`ops.image.resize` (half-pixel bilinear) or `layers.UpSampling2D` (integer nearest)."""
    x, size = t.sym(inputs[0], node), inputs[1]
    h, w = (int(d) for d in np.ravel(size.value))
    align, half = t.attr(node, "align_corners"), t.attr(node, "half_pixel_centers")
    ih, iw = x.shape[1:3]
    if node.op == "ResizeNearestNeighbor" and not align and h % ih == 0 and w % iw == 0:
        return t.layer("layers.UpSampling2D", x, f"{node.name}:0", node.name, size=(h // ih, w // iw))
    if node.op == "ResizeBilinear" and half and not align:
        # keras.ops, not the Resizing preprocessing layer: that one calls the layers after it in training mode
        return t.call("ops.image.resize", [x, (h, w)], f"{node.name}:0", interpolation="bilinear")
    raise UnsupportedGraphError(
        f"{node.op} at {t.where(node)} with align_corners={bool(align)}, half_pixel_centers={bool(half)} "
        f"({ih}x{iw} -> {h}x{w}): Keras resizes with half-pixel centers on every backend; build the graph with "
        "tf.image.resize (TF2 semantics), or use an integer nearest-neighbour upsampling.")


