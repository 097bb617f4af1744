"""The legacy baseline: the slim net trained in a TF1 graph with a `tf.compat.v1.Session` loop, as
train_image_classifier.py did, writing real TF1 name-based checkpoints (`model.ckpt-STEP`) that every zoo
implementation (and old TF1 code) loads."""
import os
import time

import numpy as np
import tensorflow as tf
import tf_slim as slim

import zoo
from zoo.compat import tf1_graph
from zoo.data import dataset_info
from zoo.errors import NonFiniteLossError
from zoo.training.config import scopes
from zoo.training.optimizers import learning_rate, steps_for
from zoo.training.workdir import read_newest


def _tf1_optimizer(c, lr):
    v1 = tf.compat.v1.train
    name = c.optimizer
    if name == "sgd":
        return v1.GradientDescentOptimizer(lr)
    if name == "momentum":
        return v1.MomentumOptimizer(lr, c.momentum, use_nesterov=c.use_nesterov)
    if name == "adam":
        return v1.AdamOptimizer(lr, c.adam_beta1, c.adam_beta2, c.opt_epsilon)
    if name == "rmsprop":
        return v1.RMSPropOptimizer(lr, decay=c.rmsprop_decay, momentum=c.rmsprop_momentum, epsilon=c.opt_epsilon)
    if name == "adagrad":
        return v1.AdagradOptimizer(lr, initial_accumulator_value=0.1)
    if name == "adadelta":
        return v1.AdadeltaOptimizer(lr, epsilon=c.opt_epsilon)
    return v1.FtrlOptimizer(lr)


def check_skip(c, step, loss, skipped, skipped_in_row, newest, log):
    """A step whose loss or gradients are not finite was not applied: stop (on_nonfinite="stop", or too many
    in a row) with what to do, or say it was skipped. Both loops decide here."""
    what = f"step {step}: the loss ({float(loss):.4g}) or its gradients are not finite"
    if c.on_nonfinite == "stop" or skipped_in_row > c.skip_limit:
        why = "" if c.on_nonfinite == "stop" else f" ({skipped_in_row} steps in a row, skip_limit={c.skip_limit})"
        raise NonFiniteLossError(
            f"{what}{why}; training stopped without applying it. The newest checkpoint, {newest or '(none yet)'}, "
            f"holds the last finite state. Lower learning_rate (now {c.learning_rate}) and run again to resume "
            "from it" + (", or set on_nonfinite='skip'." if c.on_nonfinite == "stop" else "."))
    log(f"{what}; step skipped ({skipped} so far)")


def _under(name, scope_list):
    return any(name == s.rstrip("/") or name.startswith(s.rstrip("/") + "/") for s in scope_list)


def train_tf1(c, workdir, num_classes, log=print):
    """Returns (final TF1 checkpoint prefix, history)."""
    from zoo.training.loop import datasets

    spec, info = zoo.get_spec(c.model), dataset_info(c.dataset, c.dataset_dir)
    image_size = c.train_image_size or spec.image_size
    total_steps = steps_for(c, info.num_train)
    ckpt_dir = os.path.join(workdir, "checkpoints")
    os.makedirs(ckpt_dir, exist_ok=True)
    with tf1_graph():
        tf.compat.v1.set_random_seed(c.seed)
        images, labels = tf.compat.v1.data.make_one_shot_iterator(datasets(c, "train", image_size, True)).get_next()
        scope_kwargs, net_kwargs = spec.split_kwargs({"weight_decay": c.weight_decay})
        if spec.takes("dropout_keep_prob"):
            net_kwargs["dropout_keep_prob"] = c.dropout_keep_prob
        with slim.arg_scope(spec.slim_arg_scope(**scope_kwargs)):
            logits, _ = spec.slim_net(images, num_classes=num_classes, is_training=True, **net_kwargs)
        onehot = tf.one_hot(labels, num_classes)
        loss = tf.compat.v1.losses.softmax_cross_entropy(onehot, logits, label_smoothing=c.label_smoothing)
        total_loss = loss + tf.compat.v1.losses.get_regularization_loss()
        step = tf.compat.v1.train.get_or_create_global_step()
        lr = learning_rate(c, total_steps)
        optimizer = _tf1_optimizer(c, lr(step) if callable(lr) else lr)
        trainable = tf.compat.v1.trainable_variables()
        if c.trainable_scopes:
            trainable = [v for v in trainable if _under(v.op.name, scopes(c.trainable_scopes))]
        grads_and_vars = [(g, v) for g, v in optimizer.compute_gradients(total_loss, var_list=trainable)
                          if g is not None]
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in [total_loss] + [g for g, _ in grads_and_vars]])

        def apply():
            with tf.control_dependencies([optimizer.apply_gradients(grads_and_vars, global_step=step)]):
                return tf.constant(True)

        with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
            applied = tf.cond(finite, apply, lambda: tf.constant(False))  # a non-finite step is not applied
        train_op = applied.op
        weights_finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(v)) for v in tf.compat.v1.global_variables()
                                        if v.dtype.base_dtype.is_floating])
        if c.moving_average_decay:
            ema = tf.compat.v1.train.ExponentialMovingAverage(c.moving_average_decay, step)
            with tf.control_dependencies([applied]):
                train_op = ema.apply(slim.get_model_variables())
        accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), labels), tf.float32))
        if c.init_checkpoint:  # the TF1 way: init_from_checkpoint with an assignment map
            excluded = scopes(c.checkpoint_exclude_scopes)
            reader = tf.train.load_checkpoint(zoo.checkpoints.resolve_checkpoint(c.init_checkpoint))
            keys = reader.get_variable_to_shape_map()
            assignment = {v.op.name: v for v in slim.get_model_variables()
                          if not _under(v.op.name, excluded) and (v.op.name in keys or not c.ignore_missing_vars)}
            tf.compat.v1.train.init_from_checkpoint(zoo.checkpoints.resolve_checkpoint(c.init_checkpoint), assignment)
        saver = tf.compat.v1.train.Saver(max_to_keep=3)
        init = tf.compat.v1.global_variables_initializer()
        with tf.compat.v1.Session() as sess:
            sess.run(init)
            latest, _ = read_newest(ckpt_dir, lambda prefix: saver.restore(sess, prefix),
                                    (tf.errors.OpError, IndexError, ValueError), log)
            if latest:
                log(f"resumed from {latest} at step {sess.run(step)}")
            history, losses, accs = [], [], []
            current, window_start, window_step = sess.run(step), time.time(), sess.run(step)
            prefix, skipped, skipped_in_row = latest, 0, 0
            while current < total_steps:
                _, was_applied, loss_value, acc_value = sess.run([train_op, applied, total_loss, accuracy])
                if not was_applied:
                    skipped, skipped_in_row = skipped + 1, skipped_in_row + 1
                    check_skip(c, current + 1, loss_value, skipped, skipped_in_row, prefix, log)
                    continue
                skipped_in_row = 0
                current = sess.run(step)  # after the update (fetched with it, the read may precede it)
                losses.append(loss_value)
                accs.append(acc_value)
                if current % c.log_every == 0 or current == total_steps:
                    rate = (current - window_step) * c.batch_size / max(time.time() - window_start, 1e-9)
                    history.append({"step": int(current), "loss": float(np.mean(losses)), "top1": float(np.mean(accs)),
                                    "examples_per_sec": rate})
                    log(f"step {current}/{total_steps} ({100 * current / total_steps:.0f}%) loss "
                        f"{history[-1]['loss']:.4f} top-1 {history[-1]['top1']:.3f} {rate:.0f} examples/s [TF1 graph]")
                    losses, accs, window_start, window_step = [], [], time.time(), current
                if current % c.checkpoint_every == 0 or current == total_steps:
                    if not sess.run(weights_finite):
                        raise NonFiniteLossError(
                            f"step {current}: a variable holds NaN/inf (batch-norm statistics of skipped steps); not "
                            f"saved. The newest checkpoint, {prefix}, is the last finite state; lower learning_rate.")
                    prefix = saver.save(sess, os.path.join(ckpt_dir, "model.ckpt"), global_step=int(current))
    return prefix, history


def evaluate_tf1(c, prefix, image_size, num_classes):
    """Evaluate a TF1 checkpoint with the slim graph (EMA shadows when the run kept them)."""
    from zoo.training.loop import datasets

    model = zoo.create_model(c.model, "slim", num_classes=num_classes, image_size=image_size, checkpoint=prefix,
                             use_ema=bool(c.moving_average_decay), weight_decay=c.weight_decay)
    ds = datasets(c, "test", image_size, training=False)
    top1 = top5 = loss = n = 0.0
    for images, labels in ds:
        logits = model(images.numpy())
        labels = labels.numpy()
        top1 += (logits.argmax(-1) == labels).sum()
        top5 += (np.argsort(-logits, -1)[:, :5] == labels[:, None]).any(-1).sum()
        loss += tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits).numpy().sum()
        n += len(labels)
    model.close()
    return {"top1": float(top1 / n), "top5": float(top5 / n), "loss": float(loss / n)}
