"""NASNet-A (CIFAR, Mobile, Large) and PNASNet-5 (Mobile, Large) as TF-Slim defines them, with the published
checkpoints' variable names, which have no root scope: `conv0/weights`, `cell_stem_0/comb_iter_0/left/separable_5x5_1/
depthwise_weights`, `reduction_cell_1/prev_bn/moving_mean`, `cell_11/cell_output/...`, `aux_11/aux_logits/proj/weights`,
`final_layer/FC/biases`. Written after research/slim/nets/nasnet/{nasnet,pnasnet,nasnet_utils}.py at the configurations
nets_factory builds (the cell machinery is in slim_utils.py); the end points are the originals'.

Behaviour kept from the originals on purpose:
- the auxiliary head (`aux_<cell>`, end point AuxLogits) exists only when training: eval graphs have no aux variables;
- drop-path is off unless training (its keep probability is set to 1.0), and the Mobile configurations never use it;
- drop-path reads the graph's global step, except in NASNet's non-stem cells when `current_step` is given (the stem
  cells always read the global step, as in the original). Inside a fresh graph the step is created here, at the root
  variable scope (`global_step`), before any cell: left to the cells it would be created inside the first cell's scope;
- the nets rely on their arg scopes for biasless linear convs, batch norm with scale and `FC` as the dense scope.
"""
import tensorflow as tf
import tf_slim as slim

from zoo.models.nasnet.arch import (ARG_SCOPES, NASNET_A_NORMAL, NASNET_A_REDUCTION, NASNET_CIFAR_CONFIG,
                                    NASNET_LARGE_CONFIG, NASNET_MOBILE_CONFIG, NUM_STEM_CELLS, PNASNET_5,
                                    PNASNET_LARGE_CONFIG, PNASNET_MOBILE_CONFIG, aux_cells_of, calc_reduction_layers,
                                    config_for)
from zoo.models.nasnet.slim_utils import CellContext, build_cell


# ------------------------------------------------------------------------------------------------------ arg scopes

def _arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon):
    """All five nets share it: fan-out He initialization and L2 on every weight; linear, biasless convs (each is
    followed by a batch norm with scale); the dense layers linear and scoped `FC`."""
    with slim.arg_scope([slim.fully_connected, slim.conv2d, slim.separable_conv2d],
                        weights_regularizer=slim.l2_regularizer(weight_decay),
                        weights_initializer=slim.variance_scaling_initializer(mode="FAN_OUT")), \
            slim.arg_scope([slim.fully_connected], activation_fn=None, scope="FC"), \
            slim.arg_scope([slim.conv2d, slim.separable_conv2d], activation_fn=None, biases_initializer=None), \
            slim.arg_scope([slim.batch_norm], decay=batch_norm_decay, epsilon=batch_norm_epsilon, scale=True,
                           fused=True) as sc:
        return sc


def _arg_scope_of(variant):
    """The variant's arg scope function, its defaults the original's (`arch.ARG_SCOPES`)."""
    default_decay, default_bn_decay, default_epsilon = ARG_SCOPES[variant]

    def arg_scope(weight_decay=default_decay, batch_norm_decay=default_bn_decay, batch_norm_epsilon=default_epsilon):
        return _arg_scope(weight_decay, batch_norm_decay, batch_norm_epsilon)

    arg_scope.__name__ = arg_scope.__qualname__ = f"{variant}_arg_scope"
    return arg_scope


nasnet_cifar_arg_scope = _arg_scope_of("nasnet_cifar")
nasnet_mobile_arg_scope = _arg_scope_of("nasnet_mobile")
nasnet_large_arg_scope = _arg_scope_of("nasnet_large")
pnasnet_mobile_arg_scope = _arg_scope_of("pnasnet_mobile")
pnasnet_large_arg_scope = _arg_scope_of("pnasnet_large")


# ------------------------------------------------------------------------------------------------------ pieces

def _end_point_adder(end_points, final_endpoint):
    """`add(name, net)`: record an end point and tell whether it is the requested final one (build stops there)."""
    def add(name, net):
        end_points[name] = net
        return bool(final_endpoint) and name == final_endpoint
    return add


def _activation(config):
    return tf.nn.relu6 if config.use_bounded_activation else tf.nn.relu


def _context(config, total_num_cells, is_training):
    return CellContext(num_conv_filters=config.num_conv_filters, drop_path_keep_prob=config.drop_path_keep_prob,
                       total_num_cells=total_num_cells, total_training_steps=config.total_training_steps,
                       use_bounded_activation=config.use_bounded_activation, is_training=is_training)


def _prepare(config, default, is_training):
    """The config to build with: drop-path off unless training (as the originals' _update_hparams)."""
    config = default if config is None else config
    if config.data_format != "NHWC":
        raise ValueError(f"only NHWC is implemented, not {config.data_format!r}")
    if not is_training:
        config = config._replace(drop_path_keep_prob=1.0)
    return config


def _ensure_global_step(config, current_step, stem_reads_step):
    """Create the global step at the root variable scope if a drop-path will read it (see the module docstring)."""
    if config.drop_path_keep_prob < 1.0 and (current_step is None or stem_reads_step):
        root = tf.compat.v1.VariableScope(reuse=tf.compat.v1.AUTO_REUSE, name="")
        with tf.compat.v1.variable_scope(root, auxiliary_name_scope=False):
            tf.compat.v1.train.get_or_create_global_step()


def _imagenet_stem(images, config, spec, ctx):
    """3x3/2 VALID conv (`conv0`, 32 x stem_multiplier) and two stride-2 cells; returns the net and the list of cell
    outputs the next cells draw their previous input from ([None, conv0, cell_stem_0, cell_stem_1])."""
    net = slim.conv2d(images, int(32 * config.stem_multiplier), [3, 3], stride=2, padding="VALID", scope="conv0")
    net = slim.batch_norm(net, scope="conv0_bn")
    outputs = [None, net]
    filter_scaling = 1.0 / config.filter_scaling_rate ** NUM_STEM_CELLS
    for n in range(NUM_STEM_CELLS):
        net = build_cell(net, outputs[-2], spec, ctx, f"cell_stem_{n}", filter_scaling, stride=2, cell_num=n)
        outputs.append(net)
        filter_scaling *= config.filter_scaling_rate
    return net, outputs


def _cifar_stem(images, config):
    net = slim.conv2d(images, int(config.num_conv_filters * config.stem_multiplier), 3, scope="l1_stem_3x3")
    net = slim.batch_norm(net, scope="l1_stem_bn")
    return net, [None, net]


def _aux_head(net, num_classes, activation, scope):
    """5x5/3 average pool, 1x1 to 128, a conv of 768 over the whole remaining map, each with BN and activation, then
    the dense logits (`<scope>/aux_logits/{proj,aux_bn0,Conv,aux_bn1,FC}`)."""
    with tf.compat.v1.variable_scope(scope):
        aux = tf.identity(net)
        with tf.compat.v1.variable_scope("aux_logits"):
            aux = slim.avg_pool2d(aux, [5, 5], stride=3, padding="VALID")
            aux = activation(slim.batch_norm(slim.conv2d(aux, 128, [1, 1], scope="proj"), scope="aux_bn0"))
            aux = slim.conv2d(aux, 768, aux.shape.as_list()[1:3], padding="VALID")
            aux = activation(slim.batch_norm(aux, scope="aux_bn1"))
            return slim.fully_connected(slim.flatten(aux), num_classes)


def _classifier(net, num_classes, config, end_points, add):
    """`final_layer`: activation, global average pool (end point global_pool, returned when num_classes is falsy),
    dropout, `FC`. As in the original, stopping at Logits or Predictions returns the pre-logits features."""
    with tf.compat.v1.variable_scope("final_layer"):
        net = tf.reduce_mean(_activation(config)(net), [1, 2])
        if add("global_pool", net) or not num_classes:
            return net, end_points
        net = slim.dropout(net, config.dense_dropout_keep_prob, scope="dropout")
        logits = slim.fully_connected(net, num_classes)
        if add("Logits", logits):
            return net, end_points
        if add("Predictions", tf.nn.softmax(logits, name="predictions")):
            return net, end_points
    return logits, end_points


# ------------------------------------------------------------------------------------------------------ NASNet-A

def _nasnet(images, num_classes, is_training, config, stem, final_endpoint, current_step):
    """Stem, then num_cells normal cells with a reduction cell (double width, half resolution) before each reduction
    index; the stem cells are reduction cells too. Cell positions for drop-path count stem and reduction cells."""
    imagenet = stem == "imagenet"
    total_num_cells = config.num_cells + 2 + (NUM_STEM_CELLS if imagenet else 0)
    ctx = _context(config, total_num_cells, is_training)
    end_points = {}
    add = _end_point_adder(end_points, final_endpoint)
    activation = _activation(config)
    _ensure_global_step(config, current_step, stem_reads_step=imagenet)
    with slim.arg_scope([slim.dropout, slim.batch_norm], is_training=is_training):
        if imagenet:
            net, outputs = _imagenet_stem(images, config, NASNET_A_REDUCTION, ctx)
        else:
            net, outputs = _cifar_stem(images, config)
        if add("Stem", net):
            return net, end_points
        reductions = calc_reduction_layers(config.num_cells, config.num_reduction_layers)
        aux_cells = aux_cells_of(config)
        filter_scaling, cell_num = 1.0, NUM_STEM_CELLS if imagenet else 0
        prev_layer = None
        for n in range(config.num_cells):
            if config.skip_reduction_layer_input:
                prev_layer = outputs[-2]  # taken before a reduction cell is appended
            if n in reductions:
                filter_scaling *= config.filter_scaling_rate
                r = reductions.index(n)
                net = build_cell(net, outputs[-2], NASNET_A_REDUCTION, ctx, f"reduction_cell_{r}",
                                 filter_scaling, stride=2, cell_num=cell_num, current_step=current_step)
                if add(f"Reduction_Cell_{r}", net):
                    return net, end_points
                cell_num += 1
                outputs.append(net)
            if not config.skip_reduction_layer_input:
                prev_layer = outputs[-2]
            net = build_cell(net, prev_layer, NASNET_A_NORMAL, ctx, f"cell_{n}", filter_scaling,
                             stride=1, cell_num=cell_num, current_step=current_step)
            if add(f"Cell_{n}", net):
                return net, end_points
            cell_num += 1
            if config.use_aux_head and n in aux_cells and num_classes and is_training:
                end_points["AuxLogits"] = _aux_head(activation(net), num_classes, activation, f"aux_{n}")
            outputs.append(net)
        return _classifier(net, num_classes, config, end_points, add)


def nasnet_cifar(images, num_classes=10, is_training=True, final_endpoint=None, config=None, current_step=None):
    """NASNet-A 6@768 for 32x32 CIFAR images: (logits, end_points); num_classes 0/None returns the global pool.
    `current_step`: a step tensor for the drop-path schedule instead of the global step."""
    config = _prepare(config, NASNET_CIFAR_CONFIG, is_training)
    return _nasnet(images, num_classes, is_training, config, "cifar", final_endpoint, current_step)


def nasnet_mobile(images, num_classes=1001, is_training=True, final_endpoint=None, config=None, current_step=None):
    """NASNet-A 4@1056 (224x224): (logits, end_points); num_classes 0/None returns the global pool."""
    config = _prepare(config, NASNET_MOBILE_CONFIG, is_training)
    return _nasnet(images, num_classes, is_training, config, "imagenet", final_endpoint, current_step)


def nasnet_large(images, num_classes=1001, is_training=True, final_endpoint=None, config=None, current_step=None):
    """NASNet-A 6@4032 (331x331): (logits, end_points); num_classes 0/None returns the global pool."""
    config = _prepare(config, NASNET_LARGE_CONFIG, is_training)
    return _nasnet(images, num_classes, is_training, config, "imagenet", final_endpoint, current_step)


nasnet_cifar.default_image_size = 32
nasnet_mobile.default_image_size = 224
nasnet_large.default_image_size = 331


# ------------------------------------------------------------------------------------------------------ PNASNet-5

def _pnasnet(images, num_classes, is_training, config, final_endpoint):
    """Stem (PNASNet cells), then num_cells PNASNet cells, those at the reduction indices strided with double width.
    Every cell reads the global step for drop-path (the original takes no current_step)."""
    ctx = _context(config, config.num_cells + NUM_STEM_CELLS, is_training)
    end_points = {}
    add = _end_point_adder(end_points, final_endpoint)
    activation = _activation(config)
    _ensure_global_step(config, None, stem_reads_step=True)
    with slim.arg_scope([slim.dropout, slim.batch_norm], is_training=is_training):
        net, outputs = _imagenet_stem(images, config, PNASNET_5, ctx)
        if add("Stem", net):
            return net, end_points
        reductions = calc_reduction_layers(config.num_cells, config.num_reduction_layers)
        aux_cells = aux_cells_of(config)
        filter_scaling, cell_num = 1.0, NUM_STEM_CELLS
        prev_layer = None
        for n in range(config.num_cells):
            reduce = n in reductions
            if reduce:
                filter_scaling *= config.filter_scaling_rate
            if config.skip_reduction_layer_input or not reduce:
                prev_layer = outputs[-2]
            net = build_cell(net, prev_layer, PNASNET_5, ctx, f"cell_{n}", filter_scaling,
                             stride=2 if reduce else 1, cell_num=cell_num)
            if add(f"Cell_{n}", net):
                return net, end_points
            cell_num += 1
            outputs.append(net)
            if config.use_aux_head and n in aux_cells and num_classes and is_training:
                end_points["AuxLogits"] = _aux_head(activation(net), num_classes, activation, f"aux_{n}")
        return _classifier(net, num_classes, config, end_points, add)


def pnasnet_mobile(images, num_classes=1001, is_training=True, final_endpoint=None, config=None):
    """PNASNet-5 Mobile (224x224): (logits, end_points); num_classes 0/None returns the global pool."""
    return _pnasnet(images, num_classes, is_training, _prepare(config, PNASNET_MOBILE_CONFIG, is_training),
                    final_endpoint)


def pnasnet_large(images, num_classes=1001, is_training=True, final_endpoint=None, config=None):
    """PNASNet-5 Large (331x331): (logits, end_points); num_classes 0/None returns the global pool."""
    return _pnasnet(images, num_classes, is_training, _prepare(config, PNASNET_LARGE_CONFIG, is_training),
                    final_endpoint)


pnasnet_mobile.default_image_size = 224
pnasnet_large.default_image_size = 331


_NETS = {"nasnet_cifar": nasnet_cifar, "nasnet_mobile": nasnet_mobile, "nasnet_large": nasnet_large,
         "pnasnet_mobile": pnasnet_mobile, "pnasnet_large": pnasnet_large}


def registry_net(variant):
    """The slim net as the registry calls it, taking the native's options by the same names (`OPTIONS`; unset: the
    original's) into the net's `Config`; slim builds its auxiliary head and drop-path only when training, as the
    original (`aux_head=False` leaves the head out)."""
    fn = _NETS[variant]
    default_classes = 10 if variant == "nasnet_cifar" else 1001

    def net(images, num_classes=default_classes, is_training=True, final_endpoint=None, aux_head=True, **options):
        config = config_for(variant, **options)._replace(use_aux_head=int(aux_head))
        return fn(images, num_classes, is_training, final_endpoint, config=config)

    net.default_image_size = fn.default_image_size
    net.__name__ = variant
    return net

