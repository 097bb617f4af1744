"""Inception v1 and v3 as native Keras models with TF-Slim's exact block structure, padding and names
(`Mixed_6e.Branch_2.Conv2d_0d_7x1`, incl. slim's quirks such as v1 Mixed_5b's `Conv2d_0a_3x3` and v3
Mixed_5c's `Conv_1_0c_5x5`); one builder for Keras 3 and tf_keras. Every conv: no bias, BatchNormalization
(eps 1e-3, momentum 0.9997; v1 without gamma, as slim's default scale=False), ReLU."""

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
    logits = _logits(k, x, num_classes, weight_decay, "Logits-Conv2d_1c_1x1", k.VarianceScaling())
    return inputs, (logits if aux is None else [logits, aux])
