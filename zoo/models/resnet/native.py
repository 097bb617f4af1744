"""ResNet v1 (post-activation) and v2 (pre-activation) bottleneck networks, native (one builder for Keras 3 and
tf_keras), with
tf-slim's padding arithmetic (`conv2d_same`: explicit padding then VALID for strided convs), its
`output_stride` (atrous) logic and layer names equal to the slim scopes (`block1.unit_1.bottleneck_v1.conv2`)."""
from zoo.models.resnet.arch import DEPTHS


class _Builder:
    def __init__(self, k, version, weight_decay, bn_momentum=0.997, bn_epsilon=1e-5):
        self.k, self.L, self.version, self.weight_decay = k, k.layers, version, weight_decay
        self.bn = dict(momentum=bn_momentum, epsilon=bn_epsilon)

    def conv(self, x, filters, kernel, stride, name, rate=1, bn=True, relu=True, bias=False, same=False):
        """slim.conv2d (or resnet_utils.conv2d_same when same=True and stride > 1)."""
        padding = "same"
        if same and stride > 1:
            pad = (kernel + (kernel - 1) * (rate - 1) - 1)
            x = self.L.ZeroPadding2D(((pad // 2, pad - pad // 2),) * 2, name=f"{name}-pad")(x)
            padding = "valid"
        x = self.L.Conv2D(filters, kernel, stride, padding=padding, dilation_rate=rate, use_bias=bias,
                          kernel_initializer=self.k.VarianceScaling(), kernel_regularizer=self.k.l2(self.weight_decay),
                          name=name)(x)
        if bn:
            x = self.k.BatchNormalization(name=f"{name}-BatchNorm", **self.bn)(x)
        return self.L.ReLU(name=f"{name}-Relu")(x) if relu else x

    def subsample(self, x, stride, name):
        return x if stride == 1 else self.L.MaxPooling2D(1, stride, padding="same", name=name)(x)

    def unit(self, x, depth, bottleneck, stride, rate, scope):
        if self.version == "v1":
            if depth == x.shape[-1]:
                shortcut = self.subsample(x, stride, f"{scope}-shortcut")
            else:
                shortcut = self.conv(x, depth, 1, stride, f"{scope}-shortcut", relu=False)
            r = self.conv(x, bottleneck, 1, 1, f"{scope}-conv1")
            r = self.conv(r, bottleneck, 3, stride, f"{scope}-conv2", rate=rate, same=True)
            r = self.conv(r, depth, 1, 1, f"{scope}-conv3", relu=False)
            return self.L.ReLU(name=scope)(self.L.Add(name=f"{scope}-add")([shortcut, r]))
        preact = self.k.BatchNormalization(name=f"{scope}-preact", **self.bn)(x)
        preact = self.L.ReLU(name=f"{scope}-preact-Relu")(preact)
        if depth == x.shape[-1]:
            shortcut = self.subsample(x, stride, f"{scope}-shortcut")
        else:
            shortcut = self.conv(preact, depth, 1, stride, f"{scope}-shortcut", bn=False, relu=False, bias=True)
        r = self.conv(preact, bottleneck, 1, 1, f"{scope}-conv1")
        r = self.conv(r, bottleneck, 3, stride, f"{scope}-conv2", rate=rate, same=True)
        r = self.conv(r, depth, 1, 1, f"{scope}-conv3", bn=False, relu=False, bias=True)
        return self.L.Add(name=scope)([shortcut, r])


def resnet(k, version, depth, num_classes=1000, input_shape=(224, 224, 3), global_pool=True, output_stride=None,
           weight_decay=0.0001):
    """Logits [batch, classes]; num_classes 0 -> the (pooled, if global_pool) last block's features."""
    b, L = _Builder(k, version, weight_decay), k.layers
    inputs = L.Input(shape=input_shape, name="images")
    if version == "v1":
        x = b.conv(inputs, 64, 7, 2, "conv1", same=True)
    else:
        x = b.conv(inputs, 64, 7, 2, "conv1", bn=False, relu=False, bias=True, same=True)
    x = L.MaxPooling2D(3, 2, padding="same", name="pool1")(x)
    if output_stride is not None:
        if output_stride % 4:
            raise ValueError("The output_stride needs to be a multiple of 4.")
        output_stride //= 4
    current, rate = 1, 1
    for block_index, (units, base) in enumerate(zip(DEPTHS[depth], (64, 128, 256, 512))):
        block_stride = 1 if block_index == 3 else 2
        for u in range(units):
            stride = block_stride if u == units - 1 else 1
            if output_stride is not None and current > output_stride:
                raise ValueError("The target output_stride cannot be reached.")
            scope = f"block{block_index + 1}-unit_{u + 1}-bottleneck_{version}"
            if output_stride is not None and current == output_stride:
                x = b.unit(x, base * 4, base, 1, rate, scope)
                rate *= stride
            else:
                x = b.unit(x, base * 4, base, stride, 1, scope)
                current *= stride
    if output_stride is not None and current != output_stride:
        raise ValueError("The target output_stride cannot be reached.")
    if version == "v2":
        x = k.BatchNormalization(name="postnorm", **b.bn)(x)
        x = L.ReLU(name="postnorm-Relu")(x)
    if global_pool:
        x = L.GlobalAveragePooling2D(keepdims=True, name="pool5")(x)
    if num_classes:
        x = b.conv(x, num_classes, 1, 1, "logits", bn=False, relu=False, bias=True)
        if global_pool:
            x = L.Flatten(name="SpatialSqueeze")(x)
    return inputs, x
