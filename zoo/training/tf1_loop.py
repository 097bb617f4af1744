"""The legacy baseline: the slim net trained in a TF1 graph with a `tf.compat.v1.Session` step, as
train_image_classifier.py did, writing real TF1 name-based checkpoints (`model.ckpt-STEP`) that every zoo
implementation (and old TF1 code) loads. The loop around the step is zoo.training.driver's, as for Keras."""
from __future__ import annotations

import os
from typing import NamedTuple

import ml_collections
import numpy as np
import tensorflow as tf
import tf_slim as slim

import zoo
from zoo.compat import tf1_graph
from zoo.slim_graph import build_slim
from zoo.slim_names import under
from zoo.data import dataset_info
from zoo.training.config import scopes
from zoo.training.driver import Log, drive, finish
from zoo.training.inputs import datasets, num_classes
from zoo.training.optimizers import create_tf1_optimizer, steps_for
from zoo.training.workdir import read_newest


class _Graph(NamedTuple):
    """The training graph's ops and tensors the Session step runs."""

    train_op: tf.Operation
    applied: tf.Tensor
    loss: tf.Tensor
    accuracy: tf.Tensor
    step: tf.Variable
    finite_weights: dict  # variable name -> its all-finite bool tensor


def _build_graph(c: ml_collections.ConfigDict, total_steps: int) -> _Graph:
    """slim's net, loss (label smoothing, regularization), optimizer on the trainable scopes, a non-finite step
    not applied, batch-norm updates and the EMA (when kept) run with the step."""
    spec = zoo.get_spec(c.model)
    classes = num_classes(c)
    images, labels = tf.compat.v1.data.make_one_shot_iterator(
        datasets(c, "train", c.train_image_size or spec.image_size, True)).get_next()
    options = {"weight_decay": c.weight_decay}
    if spec.takes("dropout_keep_prob"):
        options["dropout_keep_prob"] = c.dropout_keep_prob
    logits, _ = build_slim(spec, images, classes, True, **options)
    onehot = tf.one_hot(labels, classes)
    loss = tf.compat.v1.losses.softmax_cross_entropy(onehot, logits, label_smoothing=c.label_smoothing)
    total_loss = loss + tf.compat.v1.losses.get_regularization_loss()
    step = tf.compat.v1.train.get_or_create_global_step()
    optimizer = create_tf1_optimizer(c, total_steps, step)
    trainable = tf.compat.v1.trainable_variables()
    if c.trainable_scopes:
        trainable = [v for v in trainable if under(v.op.name, scopes(c.trainable_scopes))]
    grads_and_vars = [(g, v) for g, v in optimizer.compute_gradients(total_loss, var_list=trainable)
                      if g is not None]
    finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in [total_loss] + [g for g, _ in grads_and_vars]])

    def apply():
        with tf.control_dependencies([optimizer.apply_gradients(grads_and_vars, global_step=step)]):
            return tf.constant(True)

    with tf.control_dependencies(tf.compat.v1.get_collection(tf.compat.v1.GraphKeys.UPDATE_OPS)):
        applied = tf.cond(finite, apply, lambda: tf.constant(False))  # a non-finite step is not applied
    train_op = applied.op
    finite_weights = {v.op.name: tf.reduce_all(tf.math.is_finite(v)) for v in tf.compat.v1.global_variables()
                      if v.dtype.base_dtype.is_floating}
    if c.moving_average_decay:
        ema = tf.compat.v1.train.ExponentialMovingAverage(c.moving_average_decay, step)
        with tf.control_dependencies([applied]):
            train_op = ema.apply(slim.get_model_variables())
    accuracy = tf.reduce_mean(tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), labels), tf.float32))
    return _Graph(train_op, applied, total_loss, accuracy, step, finite_weights)


def _init_from_checkpoint(c: ml_collections.ConfigDict) -> None:
    """The TF1 way of fine-tuning: `init_from_checkpoint` with an assignment map of the model variables outside
    checkpoint_exclude_scopes (and, with ignore_missing_vars, only those the checkpoint has)."""
    prefix = zoo.checkpoints.resolve_checkpoint(c.init_checkpoint)
    excluded = scopes(c.checkpoint_exclude_scopes)
    keys = tf.train.load_checkpoint(prefix).get_variable_to_shape_map()
    assignment = {v.op.name: v for v in slim.get_model_variables()
                  if not under(v.op.name, excluded) and (v.op.name in keys or not c.ignore_missing_vars)}
    tf.compat.v1.train.init_from_checkpoint(prefix, assignment)


class _SessionSteps:
    """The TF1 path's side of the driver: a `Session.run` step, a `Saver` of `model.ckpt-STEP`, resumed from
    the newest readable one."""

    label = " [TF1 graph]"

    def __init__(self, sess: tf.compat.v1.Session, graph: _Graph, checkpoint_dir: str, log: Log):
        self.sess, self.graph = sess, graph
        self.saver = tf.compat.v1.train.Saver(max_to_keep=3)
        self.prefix = os.path.join(checkpoint_dir, "model.ckpt")
        self.losses: list[float] = []
        self.accuracies: list[float] = []
        self.latest, _ = read_newest(checkpoint_dir, lambda prefix: self.saver.restore(sess, prefix),
                                     (tf.errors.OpError, IndexError, ValueError), log)
        if self.latest:
            log(f"resumed from {self.latest} at step {self.global_step()}")

    def run(self) -> tuple[bool, float]:
        g = self.graph
        _, applied, loss, accuracy = self.sess.run([g.train_op, g.applied, g.loss, g.accuracy])
        if applied:
            self.losses.append(loss)
            self.accuracies.append(accuracy)
        return bool(applied), loss

    def global_step(self) -> int:
        return int(self.sess.run(self.graph.step))  # read after the update (fetched with it, it may precede it)

    def window(self) -> tuple[float, float]:
        means = float(np.mean(self.losses)), float(np.mean(self.accuracies))
        self.losses, self.accuracies = [], []
        return means

    def summarize(self, entry: dict) -> None:
        pass  # the TF1 baseline logs only

    def nonfinite_weight(self) -> str | None:
        finite = self.sess.run(self.graph.finite_weights)
        return next((name for name, ok in finite.items() if not ok), None)

    def save(self, step: int) -> None:
        self.latest = self.saver.save(self.sess, self.prefix, global_step=step)

    def newest(self) -> str | None:
        return self.latest


def train_tf1(c: ml_collections.ConfigDict, workdir: str, log: Log) -> dict:
    """Train the slim net in a TF1 Session, then evaluate its last checkpoint; returns the results (whose
    `checkpoint` is the TF1 prefix)."""
    total_steps = steps_for(c, dataset_info(c.dataset, c.dataset_dir).num_train)
    checkpoint_dir = os.path.join(workdir, "checkpoints")
    os.makedirs(checkpoint_dir, exist_ok=True)
    with tf1_graph():
        tf.compat.v1.set_random_seed(c.seed)
        graph = _build_graph(c, total_steps)
        if c.init_checkpoint:
            _init_from_checkpoint(c)
        init = tf.compat.v1.global_variables_initializer()
        with tf.compat.v1.Session() as sess:
            sess.run(init)
            steps = _SessionSteps(sess, graph, checkpoint_dir, log)
            run = drive(c, total_steps, steps, log)
    image_size = c.eval_image_size or c.train_image_size or zoo.get_spec(c.model).image_size
    prefix = steps.newest()
    assert prefix is not None  # the driver saves at the last step, or the run resumed from a checkpoint
    return finish(c, workdir, run, evaluate_tf1(c, prefix, image_size), prefix, log)


def evaluate_tf1(c: ml_collections.ConfigDict, prefix: str, image_size: int) -> dict:
    """Evaluate a TF1 checkpoint with the slim graph (EMA shadows when the run kept them)."""
    model = zoo.create_model(c.model, "slim", num_classes=num_classes(c), image_size=image_size, checkpoint=prefix,
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
