"""Inception v1, v2, v3, v4 and Inception-ResNet v2 as native Keras models with TF-Slim's exact block structure, padding
and names (`Mixed_6e.Branch_2.Conv2d_0d_7x1`, `Repeat_1-block17_20-Conv2d_1x1`, incl. slim's quirks such as v1
Mixed_5b's `Conv2d_0a_3x3` and v3 Mixed_5c's `Conv_1_0c_5x5`); one builder for Keras 3 and tf_keras. Every conv
but Inception-ResNet's linear `Conv2d_1x1`: no bias, BatchNormalization (eps 1e-3, momentum 0.9997, no gamma as
slim's default scale=False), ReLU."""

class _Convs:
    def __init__(self, k, weight_decay, scale, initializer):
        self.k, self.weight_decay, self.scale, self.initializer = k, weight_decay, scale, initializer

    def __call__(self, x, filters, kernel, name, stride=1, padding="same", initializer=None):
        L = self.k.layers
        x = L.Conv2D(filters, kernel, stride, padding=padding, use_bias=False,
                     kernel_initializer=initializer or self.initializer(),
                     kernel_regularizer=self.k.l2(self.weight_decay), name=name)(x)
        x = self.k.BatchNormalization(momentum=0.9997, epsilon=0.001, scale=self.scale, name=f"{name}-BatchNorm")(x)
        return L.ReLU(name=f"{name}-Relu")(x)


def _logits(k, x, num_classes, weight_decay, name, initializer):
    x = k.layers.Conv2D(num_classes, 1, kernel_initializer=initializer, kernel_regularizer=k.l2(weight_decay),
                        name=name)(x)
    return k.layers.Flatten(name=f"{name}-SpatialSqueeze")(x)


# Inception v1 mixed blocks: name -> (b0, (b1 reduce, b1), (b2 reduce, b2), b3 pool proj)
V1_MIXED = {
    "Mixed_3b": (64, (96, 128), (16, 32), 32), "Mixed_3c": (128, (128, 192), (32, 96), 64),
    "Mixed_4b": (192, (96, 208), (16, 48), 64), "Mixed_4c": (160, (112, 224), (24, 64), 64),
    "Mixed_4d": (128, (128, 256), (24, 64), 64), "Mixed_4e": (112, (144, 288), (32, 64), 64),
    "Mixed_4f": (256, (160, 320), (32, 128), 128), "Mixed_5b": (256, (160, 320), (32, 128), 128),
    "Mixed_5c": (384, (192, 384), (48, 128), 128),
}
V1_POOLS_BEFORE = {"Mixed_4b": ("MaxPool_4a_3x3", 3), "Mixed_5b": ("MaxPool_5a_2x2", 2)}


def inception_v1(k, num_classes=1000, input_shape=(224, 224, 3), dropout_keep_prob=0.8, weight_decay=0.00004):
    layers = k.layers
    conv = _Convs(k, weight_decay, scale=False, initializer=lambda: k.truncated_normal(0.01))
    inputs = layers.Input(shape=input_shape, name="images")
    x = conv(inputs, 64, 7, "Conv2d_1a_7x7", stride=2)
    x = layers.MaxPooling2D(3, 2, padding="same", name="MaxPool_2a_3x3")(x)
    x = conv(x, 64, 1, "Conv2d_2b_1x1")
    x = conv(x, 192, 3, "Conv2d_2c_3x3")
    x = layers.MaxPooling2D(3, 2, padding="same", name="MaxPool_3a_3x3")(x)
    for block, (b0, (r1, b1), (r2, b2), b3) in V1_MIXED.items():
        if block in V1_POOLS_BEFORE:
            pool_name, size = V1_POOLS_BEFORE[block]
            x = layers.MaxPooling2D(size, 2, padding="same", name=pool_name)(x)
        branch0 = conv(x, b0, 1, f"{block}-Branch_0-Conv2d_0a_1x1")
        branch1 = conv(conv(x, r1, 1, f"{block}-Branch_1-Conv2d_0a_1x1"), b1, 3, f"{block}-Branch_1-Conv2d_0b_3x3")
        second = "Conv2d_0a_3x3" if block == "Mixed_5b" else "Conv2d_0b_3x3"  # slim's own naming
        branch2 = conv(conv(x, r2, 1, f"{block}-Branch_2-Conv2d_0a_1x1"), b2, 3, f"{block}-Branch_2-{second}")
        branch3 = layers.MaxPooling2D(3, 1, padding="same", name=f"{block}-Branch_3-MaxPool_0a_3x3")(x)
        branch3 = conv(branch3, b3, 1, f"{block}-Branch_3-Conv2d_0b_1x1")
        x = layers.Concatenate(name=block)([branch0, branch1, branch2, branch3])
    x = layers.AveragePooling2D(7, 1, padding="valid", name="Logits-MaxPool_0a_7x7")(x)
    if not num_classes:
        return inputs, x
    x = layers.Dropout(1 - dropout_keep_prob, name="Logits-Dropout_0b")(x)
    return inputs, _logits(k, x, num_classes, weight_decay, "Logits-Conv2d_0c_1x1", k.VarianceScaling())


# Inception v2 mixed blocks: name -> (b0, (b1 reduce, b1), (b2 reduce, b2 twice), (b3 pool, b3 projection))
V2_MIXED = {
    "Mixed_3b": (64, (64, 64), (64, 96), ("avg", 32)), "Mixed_3c": (64, (64, 96), (64, 96), ("avg", 64)),
    "Mixed_4b": (224, (64, 96), (96, 128), ("avg", 128)), "Mixed_4c": (192, (96, 128), (96, 128), ("avg", 128)),
    "Mixed_4d": (160, (128, 160), (128, 160), ("avg", 96)), "Mixed_4e": (96, (128, 192), (160, 192), ("avg", 96)),
    "Mixed_5b": (352, (192, 320), (160, 224), ("avg", 128)), "Mixed_5c": (352, (192, 320), (192, 224), ("max", 128)),
}
# Grid reductions before a mixed block: name -> (branch 0 (reduce, 3x3/2), branch 1 (reduce, 3x3, 3x3/2))
V2_REDUCTIONS = {"Mixed_4a": ((128, 160), (64, 96)), "Mixed_5a": ((128, 192), (192, 256))}


def inception_v2(k, num_classes=1000, input_shape=(224, 224, 3), dropout_keep_prob=0.8, min_depth=16,
                 depth_multiplier=1.0, weight_decay=0.00004):
    """tf_slim's Inception v2: the stem is a 7x7/2 separable convolution with bias and ReLU (slim's arg scope
    puts no batch norm or regularizer on separable convolutions), 1x1 reductions start at stddev 0.09 and pool
    projections at 0.1, every convolution SAME."""
    layers = k.layers

    def depth(d):
        return max(int(d * depth_multiplier), min_depth)

    conv = _Convs(k, weight_decay, scale=False, initializer=k.VarianceScaling)

    def c(x, filters, kernel, name, stddev=None, **kw):
        return conv(x, depth(filters), kernel, name, initializer=stddev and k.truncated_normal(stddev), **kw)

    inputs = layers.Input(shape=input_shape, name="images")
    x = layers.SeparableConv2D(depth(64), 7, 2, padding="same", depth_multiplier=min(int(depth(64) / 3), 8),
                               activation="relu", depthwise_initializer=k.truncated_normal(1.0),
                               pointwise_initializer=k.truncated_normal(1.0), name="Conv2d_1a_7x7")(inputs)
    x = layers.MaxPooling2D(3, 2, padding="same", name="MaxPool_2a_3x3")(x)
    x = c(x, 64, 1, "Conv2d_2b_1x1", stddev=0.1)
    x = c(x, 192, 3, "Conv2d_2c_3x3")
    x = layers.MaxPooling2D(3, 2, padding="same", name="MaxPool_3a_3x3")(x)
    for block, (b0, (r1, b1), (r2, b2), (pool, b3)) in V2_MIXED.items():
        reduction = {"Mixed_4b": "Mixed_4a", "Mixed_5b": "Mixed_5a"}.get(block)
        if reduction:
            (r0, s0), (q1, s1) = V2_REDUCTIONS[reduction]
            branch0 = c(x, r0, 1, f"{reduction}-Branch_0-Conv2d_0a_1x1", stddev=0.09)
            branch0 = c(branch0, s0, 3, f"{reduction}-Branch_0-Conv2d_1a_3x3", stride=2)
            branch1 = c(x, q1, 1, f"{reduction}-Branch_1-Conv2d_0a_1x1", stddev=0.09)
            branch1 = c(branch1, s1, 3, f"{reduction}-Branch_1-Conv2d_0b_3x3")
            branch1 = c(branch1, s1, 3, f"{reduction}-Branch_1-Conv2d_1a_3x3", stride=2)
            branch2 = layers.MaxPooling2D(3, 2, padding="same", name=f"{reduction}-Branch_2-MaxPool_1a_3x3")(x)
            x = layers.Concatenate(name=reduction)([branch0, branch1, branch2])
        branch0 = c(x, b0, 1, f"{block}-Branch_0-Conv2d_0a_1x1")
        branch1 = c(x, r1, 1, f"{block}-Branch_1-Conv2d_0a_1x1", stddev=0.09)
        branch1 = c(branch1, b1, 3, f"{block}-Branch_1-Conv2d_0b_3x3")
        branch2 = c(x, r2, 1, f"{block}-Branch_2-Conv2d_0a_1x1", stddev=0.09)
        branch2 = c(c(branch2, b2, 3, f"{block}-Branch_2-Conv2d_0b_3x3"), b2, 3, f"{block}-Branch_2-Conv2d_0c_3x3")
        pooling, pool_name = ((layers.AveragePooling2D, "AvgPool_0a_3x3") if pool == "avg"
                              else (layers.MaxPooling2D, "MaxPool_0a_3x3"))
        branch3 = pooling(3, 1, padding="same", name=f"{block}-Branch_3-{pool_name}")(x)
        branch3 = c(branch3, b3, 1, f"{block}-Branch_3-Conv2d_0b_1x1", stddev=0.1)
        x = layers.Concatenate(name=block)([branch0, branch1, branch2, branch3])
    size = [min(d, 7) for d in x.shape[1:3]]
    x = layers.AveragePooling2D(size, 2, padding="valid", name=f"Logits-AvgPool_1a_{size[0]}x{size[1]}")(x)
    if not num_classes:
        return inputs, x
    x = layers.Dropout(1 - dropout_keep_prob, name="Logits-Dropout_1b")(x)
    return inputs, _logits(k, x, num_classes, weight_decay, "Logits-Conv2d_1c_1x1", k.VarianceScaling())


def inception_v3(k, num_classes=1000, input_shape=(299, 299, 3), dropout_keep_prob=0.8, min_depth=16,
                 depth_multiplier=1.0, create_aux_logits=True, weight_decay=0.00004):
    """Returns (inputs, [logits, aux logits]) with the auxiliary head, else (inputs, logits)."""
    layers = k.layers
    def depth(d):
        return max(int(d * depth_multiplier), min_depth)

    conv = _Convs(k, weight_decay, scale=False, initializer=k.VarianceScaling)

    def c(x, filters, kernel, name, **kw):
        return conv(x, depth(filters), kernel, name, **kw)

    inputs = layers.Input(shape=input_shape, name="images")
    x = c(inputs, 32, 3, "Conv2d_1a_3x3", stride=2, padding="valid")
    x = c(x, 32, 3, "Conv2d_2a_3x3", padding="valid")
    x = c(x, 64, 3, "Conv2d_2b_3x3")
    x = layers.MaxPooling2D(3, 2, padding="valid", name="MaxPool_3a_3x3")(x)
    x = c(x, 80, 1, "Conv2d_3b_1x1", padding="valid")
    x = c(x, 192, 3, "Conv2d_4a_3x3", padding="valid")
    x = layers.MaxPooling2D(3, 2, padding="valid", name="MaxPool_5a_3x3")(x)

    def avg_branch(x, block, filters):
        b = layers.AveragePooling2D(3, 1, padding="same", name=f"{block}-Branch_3-AvgPool_0a_3x3")(x)
        return c(b, filters, 1, f"{block}-Branch_3-Conv2d_0b_1x1")

    for block, pool_proj in (("Mixed_5b", 32), ("Mixed_5c", 64), ("Mixed_5d", 64)):
        b0 = c(x, 64, 1, f"{block}-Branch_0-Conv2d_0a_1x1")
        if block == "Mixed_5c":  # slim's own naming in this one block
            b1 = c(c(x, 48, 1, f"{block}-Branch_1-Conv2d_0b_1x1"), 64, 5, f"{block}-Branch_1-Conv_1_0c_5x5")
        else:
            b1 = c(c(x, 48, 1, f"{block}-Branch_1-Conv2d_0a_1x1"), 64, 5, f"{block}-Branch_1-Conv2d_0b_5x5")
        b2 = c(x, 64, 1, f"{block}-Branch_2-Conv2d_0a_1x1")
        b2 = c(c(b2, 96, 3, f"{block}-Branch_2-Conv2d_0b_3x3"), 96, 3, f"{block}-Branch_2-Conv2d_0c_3x3")
        x = layers.Concatenate(name=block)([b0, b1, b2, avg_branch(x, block, pool_proj)])

    b0 = c(x, 384, 3, "Mixed_6a-Branch_0-Conv2d_1a_1x1", stride=2, padding="valid")
    b1 = c(c(x, 64, 1, "Mixed_6a-Branch_1-Conv2d_0a_1x1"), 96, 3, "Mixed_6a-Branch_1-Conv2d_0b_3x3")
    b1 = c(b1, 96, 3, "Mixed_6a-Branch_1-Conv2d_1a_1x1", stride=2, padding="valid")
    b2 = layers.MaxPooling2D(3, 2, padding="valid", name="Mixed_6a-Branch_2-MaxPool_1a_3x3")(x)
    x = layers.Concatenate(name="Mixed_6a")([b0, b1, b2])

    for block, mid in (("Mixed_6b", 128), ("Mixed_6c", 160), ("Mixed_6d", 160), ("Mixed_6e", 192)):
        b0 = c(x, 192, 1, f"{block}-Branch_0-Conv2d_0a_1x1")
        b1 = c(x, mid, 1, f"{block}-Branch_1-Conv2d_0a_1x1")
        b1 = c(c(b1, mid, (1, 7), f"{block}-Branch_1-Conv2d_0b_1x7"), 192, (7, 1), f"{block}-Branch_1-Conv2d_0c_7x1")
        b2 = c(x, mid, 1, f"{block}-Branch_2-Conv2d_0a_1x1")
        b2 = c(c(b2, mid, (7, 1), f"{block}-Branch_2-Conv2d_0b_7x1"), mid, (1, 7), f"{block}-Branch_2-Conv2d_0c_1x7")
        b2 = c(c(b2, mid, (7, 1), f"{block}-Branch_2-Conv2d_0d_7x1"), 192, (1, 7), f"{block}-Branch_2-Conv2d_0e_1x7")
        x = layers.Concatenate(name=block)([b0, b1, b2, avg_branch(x, block, 192)])
    mixed_6e = x

    b0 = c(c(x, 192, 1, "Mixed_7a-Branch_0-Conv2d_0a_1x1"), 320, 3, "Mixed_7a-Branch_0-Conv2d_1a_3x3", stride=2,
           padding="valid")
    b1 = c(x, 192, 1, "Mixed_7a-Branch_1-Conv2d_0a_1x1")
    b1 = c(c(b1, 192, (1, 7), "Mixed_7a-Branch_1-Conv2d_0b_1x7"), 192, (7, 1), "Mixed_7a-Branch_1-Conv2d_0c_7x1")
    b1 = c(b1, 192, 3, "Mixed_7a-Branch_1-Conv2d_1a_3x3", stride=2, padding="valid")
    b2 = layers.MaxPooling2D(3, 2, padding="valid", name="Mixed_7a-Branch_2-MaxPool_1a_3x3")(x)
    x = layers.Concatenate(name="Mixed_7a")([b0, b1, b2])

    for block, second_3x1 in (("Mixed_7b", "Conv2d_0b_3x1"), ("Mixed_7c", "Conv2d_0c_3x1")):
        b0 = c(x, 320, 1, f"{block}-Branch_0-Conv2d_0a_1x1")
        b1 = c(x, 384, 1, f"{block}-Branch_1-Conv2d_0a_1x1")
        b1 = layers.Concatenate(name=f"{block}-Branch_1-concat")(
            [c(b1, 384, (1, 3), f"{block}-Branch_1-Conv2d_0b_1x3"),
             c(b1, 384, (3, 1), f"{block}-Branch_1-{second_3x1}")])
        b2 = c(c(x, 448, 1, f"{block}-Branch_2-Conv2d_0a_1x1"), 384, 3, f"{block}-Branch_2-Conv2d_0b_3x3")
        b2 = layers.Concatenate(name=f"{block}-Branch_2-concat")(
            [c(b2, 384, (1, 3), f"{block}-Branch_2-Conv2d_0c_1x3"),
             c(b2, 384, (3, 1), f"{block}-Branch_2-Conv2d_0d_3x1")])
        x = layers.Concatenate(name=block)([b0, b1, b2, avg_branch(x, block, 192)])

    aux = None
    if create_aux_logits and num_classes:
        a = layers.AveragePooling2D(5, 3, padding="valid", name="AuxLogits-AvgPool_1a_5x5")(mixed_6e)
        a = c(a, 128, 1, "AuxLogits-Conv2d_1b_1x1")
        size = [min(d, 5) for d in a.shape[1:3]]
        a = c(a, 768, size, f"AuxLogits-Conv2d_2a_{size[0]}x{size[1]}", padding="valid",
              initializer=k.truncated_normal(0.01))
        aux = _logits(k, a, num_classes, weight_decay, "AuxLogits-Conv2d_2b_1x1", k.truncated_normal(0.001))
    size = [min(d, 8) for d in x.shape[1:3]]
    x = layers.AveragePooling2D(size, 2, padding="valid", name=f"Logits-AvgPool_1a_{size[0]}x{size[1]}")(x)
    if not num_classes:
        return inputs, x
    x = layers.Dropout(1 - dropout_keep_prob, name="Logits-Dropout_1b")(x)
    x = layers.Identity(name="PreLogits")(x)  # slim's end point: the dropout's output
    logits = _logits(k, x, num_classes, weight_decay, "Logits-Conv2d_1c_1x1", k.VarianceScaling())
    return inputs, (logits if aux is None else [logits, aux])


# -------------------------------------------------------------------- Inception v4 and Inception-ResNet v2

def _chain(conv, x, prefix, *specs):
    """Consecutive convs of one branch; a spec is (filters, kernel, scope) or (filters, kernel, scope, stride,
    padding), named f"{prefix}-{scope}"."""
    for filters, kernel, scope, *stride_padding in specs:
        x = conv(x, filters, kernel, f"{prefix}-{scope}", *stride_padding)
    return x


def _dense(k, x, units, name, weight_decay, regularize_bias=False):
    """slim.fully_connected without activation: Xavier weights, zero biases, L2 on the weights (and the biases
    where the arg scope says so: Inception-ResNet v2)."""
    return k.layers.Dense(units, kernel_initializer=k.xavier(), kernel_regularizer=k.l2(weight_decay),
                          bias_regularizer=k.l2(weight_decay) if regularize_bias else None, name=name)(x)


def _whole_map_avg_pool(k, x, name):
    """slim's global pool in these nets: one VALID window of the map's whole (static) size (TF's avg_pool, not a
    mean, so that it rounds as slim does), then an Identity named `global_pool`, slim's end-point name."""
    x = k.layers.AveragePooling2D(tuple(x.shape[1:3]), padding="valid", name=name)(x)
    return k.layers.Identity(name="global_pool")(x)


def _aux_head(k, conv, x, num_classes, weight_decay, names, regularize_bias=False):
    """5x5/3 average pool, 1x1 conv of 128, a VALID conv of 768 over the whole remaining map (5x5 at 299), the
    classifier; `names`: slim's scopes for (pool, 1x1 conv, whole-map conv, classifier) under AuxLogits."""
    pool, conv_1x1, conv_map, logits = (f"AuxLogits-{n}" for n in names)
    x = k.layers.AveragePooling2D(5, 3, padding="valid", name=pool)(x)
    x = conv(x, 128, 1, conv_1x1)
    x = conv(x, 768, tuple(x.shape[1:3]), conv_map, padding="valid")
    x = k.layers.Flatten(name="AuxLogits-Flatten")(x)
    return _dense(k, x, num_classes, logits, weight_decay, regularize_bias)


def inception_v4(k, num_classes=1000, input_shape=(299, 299, 3), dropout_keep_prob=0.8, create_aux_logits=True,
                 weight_decay=0.00004):
    """Returns (inputs, [logits, aux logits]) with the auxiliary head, else (inputs, logits); num_classes 0 ->
    (inputs, global pool [batch, 1, 1, 1536])."""
    layers = k.layers
    conv = _Convs(k, weight_decay, scale=False, initializer=k.VarianceScaling)

    def chain(x, prefix, *specs):
        return _chain(conv, x, prefix, *specs)

    def max_pool(x, name):
        return layers.MaxPooling2D(3, 2, padding="valid", name=name)(x)

    def avg_pool_then(x, block, filters):
        b = layers.AveragePooling2D(3, 1, padding="same", name=f"{block}-Branch_3-AvgPool_0a_3x3")(x)
        return conv(b, filters, 1, f"{block}-Branch_3-Conv2d_0b_1x1")

    def split_1x3_3x1(x, prefix, scopes):  # Inception-C's two 256-wide convs side by side
        return layers.Concatenate(name=f"{prefix}-concat")(
            [conv(x, 256, (1, 3), f"{prefix}-{scopes[0]}"), conv(x, 256, (3, 1), f"{prefix}-{scopes[1]}")])

    # Branches are built left to right (argument order), as slim creates their variables: the same random draws.
    inputs = layers.Input(shape=input_shape, name="images")
    x = conv(inputs, 32, 3, "Conv2d_1a_3x3", stride=2, padding="valid")
    x = conv(x, 32, 3, "Conv2d_2a_3x3", padding="valid")
    x = conv(x, 64, 3, "Conv2d_2b_3x3")
    x = layers.Concatenate(name="Mixed_3a")([
        max_pool(x, "Mixed_3a-Branch_0-MaxPool_0a_3x3"),
        conv(x, 96, 3, "Mixed_3a-Branch_1-Conv2d_0a_3x3", stride=2, padding="valid")])
    x = layers.Concatenate(name="Mixed_4a")([
        chain(x, "Mixed_4a-Branch_0", (64, 1, "Conv2d_0a_1x1"), (96, 3, "Conv2d_1a_3x3", 1, "valid")),
        chain(x, "Mixed_4a-Branch_1", (64, 1, "Conv2d_0a_1x1"), (64, (1, 7), "Conv2d_0b_1x7"),
              (64, (7, 1), "Conv2d_0c_7x1"), (96, 3, "Conv2d_1a_3x3", 1, "valid"))])
    x = layers.Concatenate(name="Mixed_5a")([
        conv(x, 192, 3, "Mixed_5a-Branch_0-Conv2d_1a_3x3", stride=2, padding="valid"),
        max_pool(x, "Mixed_5a-Branch_1-MaxPool_1a_3x3")])
    for block in ("Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_5e"):  # Inception-A
        x = layers.Concatenate(name=block)([
            conv(x, 96, 1, f"{block}-Branch_0-Conv2d_0a_1x1"),
            chain(x, f"{block}-Branch_1", (64, 1, "Conv2d_0a_1x1"), (96, 3, "Conv2d_0b_3x3")),
            chain(x, f"{block}-Branch_2", (64, 1, "Conv2d_0a_1x1"), (96, 3, "Conv2d_0b_3x3"), (96, 3, "Conv2d_0c_3x3")),
            avg_pool_then(x, block, 96)])
    x = layers.Concatenate(name="Mixed_6a")([  # Reduction-A
        conv(x, 384, 3, "Mixed_6a-Branch_0-Conv2d_1a_3x3", stride=2, padding="valid"),
        chain(x, "Mixed_6a-Branch_1", (192, 1, "Conv2d_0a_1x1"), (224, 3, "Conv2d_0b_3x3"),
              (256, 3, "Conv2d_1a_3x3", 2, "valid")),
        max_pool(x, "Mixed_6a-Branch_2-MaxPool_1a_3x3")])
    for block in ("Mixed_6b", "Mixed_6c", "Mixed_6d", "Mixed_6e", "Mixed_6f", "Mixed_6g", "Mixed_6h"):  # Inception-B
        x = layers.Concatenate(name=block)([
            conv(x, 384, 1, f"{block}-Branch_0-Conv2d_0a_1x1"),
            chain(x, f"{block}-Branch_1", (192, 1, "Conv2d_0a_1x1"), (224, (1, 7), "Conv2d_0b_1x7"),
                  (256, (7, 1), "Conv2d_0c_7x1")),
            chain(x, f"{block}-Branch_2", (192, 1, "Conv2d_0a_1x1"), (192, (7, 1), "Conv2d_0b_7x1"),
                  (224, (1, 7), "Conv2d_0c_1x7"), (224, (7, 1), "Conv2d_0d_7x1"), (256, (1, 7), "Conv2d_0e_1x7")),
            avg_pool_then(x, block, 128)])
    mixed_6h = x
    x = layers.Concatenate(name="Mixed_7a")([  # Reduction-B
        chain(x, "Mixed_7a-Branch_0", (192, 1, "Conv2d_0a_1x1"), (192, 3, "Conv2d_1a_3x3", 2, "valid")),
        chain(x, "Mixed_7a-Branch_1", (256, 1, "Conv2d_0a_1x1"), (256, (1, 7), "Conv2d_0b_1x7"),
              (320, (7, 1), "Conv2d_0c_7x1"), (320, 3, "Conv2d_1a_3x3", 2, "valid")),
        max_pool(x, "Mixed_7a-Branch_2-MaxPool_1a_3x3")])
    for block in ("Mixed_7b", "Mixed_7c", "Mixed_7d"):  # Inception-C
        x = layers.Concatenate(name=block)([
            conv(x, 256, 1, f"{block}-Branch_0-Conv2d_0a_1x1"),
            split_1x3_3x1(conv(x, 384, 1, f"{block}-Branch_1-Conv2d_0a_1x1"), f"{block}-Branch_1",
                          ("Conv2d_0b_1x3", "Conv2d_0c_3x1")),
            split_1x3_3x1(chain(x, f"{block}-Branch_2", (384, 1, "Conv2d_0a_1x1"), (448, (3, 1), "Conv2d_0b_3x1"),
                                (512, (1, 3), "Conv2d_0c_1x3")), f"{block}-Branch_2",
                          ("Conv2d_0d_1x3", "Conv2d_0e_3x1")),
            avg_pool_then(x, block, 256)])

    aux = None
    if create_aux_logits and num_classes:
        aux = _aux_head(k, conv, mixed_6h, num_classes, weight_decay,
                        ("AvgPool_1a_5x5", "Conv2d_1b_1x1", "Conv2d_2a", "Aux_logits"))
    x = _whole_map_avg_pool(k, x, "Logits-AvgPool_1a")
    if not num_classes:
        return inputs, x
    x = layers.Dropout(1 - dropout_keep_prob, name="Logits-Dropout_1b")(x)
    x = layers.Flatten(name="PreLogitsFlatten")(x)  # slim's Logits/PreLogitsFlatten, named as its end point
    logits = _dense(k, x, num_classes, "Logits-Logits", weight_decay)
    return inputs, (logits if aux is None else [logits, aux])


# Inception-ResNet v2's units: (repeats, scope, residual scale, towers as _chain specs)
IRV2_UNITS = {
    "block35": (10, "Repeat", 0.17, [[(32, 1, "Conv2d_1x1")],
                                     [(32, 1, "Conv2d_0a_1x1"), (32, 3, "Conv2d_0b_3x3")],
                                     [(32, 1, "Conv2d_0a_1x1"), (48, 3, "Conv2d_0b_3x3"), (64, 3, "Conv2d_0c_3x3")]]),
    "block17": (20, "Repeat_1", 0.10, [[(192, 1, "Conv2d_1x1")],
                                       [(128, 1, "Conv2d_0a_1x1"), (160, (1, 7), "Conv2d_0b_1x7"),
                                        (192, (7, 1), "Conv2d_0c_7x1")]]),
    "block8": (9, "Repeat_2", 0.20, [[(192, 1, "Conv2d_1x1")],
                                     [(192, 1, "Conv2d_0a_1x1"), (224, (1, 3), "Conv2d_0b_1x3"),
                                      (256, (3, 1), "Conv2d_0c_3x1")]]),
}


def inception_resnet_v2(k, num_classes=1000, input_shape=(299, 299, 3), dropout_keep_prob=0.8,
                        create_aux_logits=True, weight_decay=0.00004):
    """Returns (inputs, [logits, aux logits]) with the auxiliary head, else (inputs, logits); num_classes 0 ->
    (inputs, global pool [batch, 1, 1, 1536]). Convs use slim's default Xavier initializer (the arg scope sets
    none); biases (the units' linear Conv2d_1x1, the classifiers) are L2-regularized as the weights are."""
    layers = k.layers
    conv = _Convs(k, weight_decay, scale=False, initializer=k.xavier)

    def chain(x, prefix, *specs):
        return _chain(conv, x, prefix, *specs)

    def max_pool(x, name):
        return layers.MaxPooling2D(3, 2, padding="valid", name=name)(x)

    def unit(x, scope, scale, towers, relu=True):
        """x + scale * Conv2d_1x1(concat(towers)), then ReLU. The scaling is a Rescaling layer (x * scale + 0,
        exactly slim's product), which both Kerases have and serialize; no Lambda."""
        mixed = layers.Concatenate(name=f"{scope}-concat")(
            [chain(x, f"{scope}-Branch_{i}", *specs) for i, specs in enumerate(towers)])
        up = layers.Conv2D(x.shape[-1], 1, kernel_initializer=k.xavier(), kernel_regularizer=k.l2(weight_decay),
                           bias_regularizer=k.l2(weight_decay), name=f"{scope}-Conv2d_1x1")(mixed)
        up = layers.Rescaling(scale, name=f"{scope}-mul")(up)
        x = layers.Add(name=f"{scope}-add")([x, up])
        return layers.ReLU(name=f"{scope}-Relu")(x) if relu else x

    def repeat(x, name):
        repeats, scope, scale, towers = IRV2_UNITS[name]
        for i in range(1, repeats + 1):
            x = unit(x, f"{scope}-{name}_{i}", scale, towers)
        return x

    inputs = layers.Input(shape=input_shape, name="images")
    x = conv(inputs, 32, 3, "Conv2d_1a_3x3", stride=2, padding="valid")
    x = conv(x, 32, 3, "Conv2d_2a_3x3", padding="valid")
    x = conv(x, 64, 3, "Conv2d_2b_3x3")
    x = max_pool(x, "MaxPool_3a_3x3")
    x = conv(x, 80, 1, "Conv2d_3b_1x1", padding="valid")
    x = conv(x, 192, 3, "Conv2d_4a_3x3", padding="valid")
    x = max_pool(x, "MaxPool_5a_3x3")
    x = layers.Concatenate(name="Mixed_5b")([
        conv(x, 96, 1, "Mixed_5b-Branch_0-Conv2d_1x1"),
        chain(x, "Mixed_5b-Branch_1", (48, 1, "Conv2d_0a_1x1"), (64, 5, "Conv2d_0b_5x5")),
        chain(x, "Mixed_5b-Branch_2", (64, 1, "Conv2d_0a_1x1"), (96, 3, "Conv2d_0b_3x3"), (96, 3, "Conv2d_0c_3x3")),
        conv(layers.AveragePooling2D(3, 1, padding="same", name="Mixed_5b-Branch_3-AvgPool_0a_3x3")(x), 64, 1,
             "Mixed_5b-Branch_3-Conv2d_0b_1x1")])
    x = repeat(x, "block35")
    x = layers.Concatenate(name="Mixed_6a")([
        conv(x, 384, 3, "Mixed_6a-Branch_0-Conv2d_1a_3x3", stride=2, padding="valid"),
        chain(x, "Mixed_6a-Branch_1", (256, 1, "Conv2d_0a_1x1"), (256, 3, "Conv2d_0b_3x3"),
              (384, 3, "Conv2d_1a_3x3", 2, "valid")),
        max_pool(x, "Mixed_6a-Branch_2-MaxPool_1a_3x3")])
    pre_aux = x = layers.Identity(name="PreAuxLogits")(repeat(x, "block17"))  # slim's end point of that name
    x = layers.Concatenate(name="Mixed_7a")([
        chain(x, "Mixed_7a-Branch_0", (256, 1, "Conv2d_0a_1x1"), (384, 3, "Conv2d_1a_3x3", 2, "valid")),
        chain(x, "Mixed_7a-Branch_1", (256, 1, "Conv2d_0a_1x1"), (288, 3, "Conv2d_1a_3x3", 2, "valid")),
        chain(x, "Mixed_7a-Branch_2", (256, 1, "Conv2d_0a_1x1"), (288, 3, "Conv2d_0b_3x3"),
              (320, 3, "Conv2d_1a_3x3", 2, "valid")),
        max_pool(x, "Mixed_7a-Branch_3-MaxPool_1a_3x3")])
    x = repeat(x, "block8")
    x = unit(x, "Block8", 1.0, IRV2_UNITS["block8"][3], relu=False)  # the last unit: unscaled, linear
    x = conv(x, 1536, 1, "Conv2d_7b_1x1")

    aux = None
    if create_aux_logits and num_classes:
        aux = _aux_head(k, conv, pre_aux, num_classes, weight_decay,
                        ("Conv2d_1a_3x3", "Conv2d_1b_1x1", "Conv2d_2a_5x5", "Logits"), regularize_bias=True)
    x = _whole_map_avg_pool(k, x, "Logits-AvgPool_1a_8x8")
    if not num_classes:
        return inputs, x
    x = layers.Flatten(name="Logits-Flatten")(x)
    x = layers.Dropout(1 - dropout_keep_prob, name="Logits-Dropout")(x)
    x = layers.Identity(name="PreLogitsFlatten")(x)  # slim's end point: the dropout's output
    logits = _dense(k, x, num_classes, "Logits-Logits", weight_decay, regularize_bias=True)
    return inputs, (logits if aux is None else [logits, aux])
