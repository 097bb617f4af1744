"""The Keras path and the two entry points (train, evaluate_workdir). One step for every Keras implementation —
the Keras 3 native (default; TensorFlow backend), the tf_keras native and the shim — under any tf.distribute
strategy: a `tf.function` step run by `strategy.run`, `compute_average_loss` over the global batch,
regularization losses scaled per replica, batch-norm updates through `training=True`, optional EMA weights for
eval; the optimizer is the model's own Keras'. impl="slim" trains in a TF1 Session instead (zoo.training.tf1_loop);
both are driven by zoo.training.driver."""
from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Any, Callable

import ml_collections
import tensorflow as tf
import tf_keras
from absl import logging

import zoo
from zoo.data import dataset_info
from zoo.nn import keras_of, kit
from zoo.slim_names import under
from zoo.training.config import scopes, validate
from zoo.training.driver import Log, drive, finish, log_eval, write_results
from zoo.training.ema import ExponentialMovingAverage
from zoo.training.inputs import datasets, num_classes
from zoo.training.optimizers import create_optimizer, steps_for
from zoo.training.strategy import create_strategy
from zoo.training.tf1_loop import evaluate_tf1, train_tf1
from zoo.training.workdir import WorkdirLock, checkpoints_newest_first, read_newest, restore_newest_readable


def build_model(c: ml_collections.ConfigDict, image_size: int, checkpoint: str | None = None) -> tuple[object, object]:
    """The config's model (or its hub_module classifier) and, when `checkpoint` is given, the load report of
    fine-tuning from it (checkpoint_exclude_scopes left fresh, a head of another class count re-initialised)."""
    spec = zoo.get_spec(c.model)
    if c.hub_module:
        return hub_classifier(c.hub_module, c.hub_trainable, (image_size, image_size, spec.channels),
                              num_classes(c)), None
    kwargs = dict(num_classes=num_classes(c), image_size=image_size, weight_decay=c.weight_decay)
    if spec.takes("dropout_keep_prob"):
        kwargs["dropout_keep_prob"] = c.dropout_keep_prob
    if c.impl == "native":
        kwargs["keras"] = c.keras
    model = zoo.create_model(c.model, c.impl, **kwargs)
    report = None
    if checkpoint:
        report = zoo.load_checkpoint(model, checkpoint, exclude_scopes=scopes(c.checkpoint_exclude_scopes),
                                     ignore_missing_vars=c.ignore_missing_vars, head="auto")
    return model, report


def hub_classifier(handle: str, trainable: bool, input_shape: tuple[int, int, int], classes: int) -> tf_keras.Model:
    """A TF2 feature-vector SavedModel through hub.KerasLayer, with a new linear classifier."""
    import tensorflow_hub as hub

    inputs = tf_keras.Input(input_shape)
    features = hub.KerasLayer(handle, trainable=trainable, name="hub_backbone")(inputs)
    if len(features.shape) != 2:
        raise ValueError(f"hub_module {handle!r} gives {features.shape}; a feature vector [N, features] is "
                         "needed (export one with zoo.export.export_feature_vector).")
    return tf_keras.Model(inputs, tf_keras.layers.Dense(classes, name="logits")(features), name="hub_classifier")


def trainable_variables(model, trainable_scopes: tuple[str, ...]) -> list:
    """The model's trainable variables under `trainable_scopes` (slim scopes); all of them when empty."""
    if not trainable_scopes:
        return model.trainable_variables
    named = zoo.slim_variables(model)
    chosen = {id(v) for n, v in named.items() if under(n, trainable_scopes)}
    if not chosen:
        raise ValueError(f"trainable_scopes {list(trainable_scopes)} match no variable; scopes look like "
                         f"{sorted(named)[:3]}")
    return [v for v in model.trainable_variables if id(v) in chosen]


def _per_example_loss(labels, logits, classes, label_smoothing):
    if label_smoothing:
        onehot = tf.one_hot(labels, classes)
        return tf_keras.losses.categorical_crossentropy(onehot, logits, from_logits=True,
                                                        label_smoothing=label_smoothing)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def evaluate(model, dataset: tf.data.Dataset, strategy: tf.distribute.Strategy, classes: int) -> dict:
    """top-1, top-5 and mean cross-entropy over one pass of `dataset`."""
    with strategy.scope():
        top1 = tf_keras.metrics.SparseCategoricalAccuracy()
        top5 = tf_keras.metrics.SparseTopKCategoricalAccuracy(k=min(5, classes))
        loss = tf_keras.metrics.Mean()

    @tf.function
    def step(images, labels):
        def fn(x, y):
            logits = model(x, training=False)
            top1.update_state(y, logits)
            top5.update_state(y, logits)
            loss.update_state(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
        strategy.run(fn, args=(images, labels))

    for images, labels in strategy.experimental_distribute_dataset(dataset):
        step(images, labels)
    return {"top1": float(top1.result()), "top5": float(top5.result()), "loss": float(loss.result())}


def _nonfinite_weight(variables) -> str | None:
    """The name of the first variable holding NaN/inf, or None (checked on device before every save)."""
    for v in variables:
        value = tf.convert_to_tensor(v)
        if value.dtype.is_floating and not bool(tf.reduce_all(tf.math.is_finite(value))):
            return getattr(v, "path", None) or v.name
    return None


def train(c: ml_collections.ConfigDict, workdir: str, log: Log | None = None) -> tuple[object | None, dict]:
    """Train per config `c` in `workdir` (checkpoints, TensorBoard, results); resumes if checkpoints exist
    (from the newest readable one). One run per workdir (a lock file); a non-finite loss or gradient stops the
    run, or with on_nonfinite="skip" skips the step, and nothing non-finite is ever saved.
    Returns (model, results); model is None for impl="slim" (its result is a TF1 checkpoint)."""
    log = log or logging.info
    validate(c)
    with WorkdirLock(workdir, log):
        if c.impl == "slim":
            return None, train_tf1(c, workdir, log)
        return _train_keras(c, workdir, log)


@dataclasses.dataclass
class _Trainee:
    """The model under training and what trains it, all made in the strategy's scope."""

    model: Any
    optimizer: Any
    variables: list
    ema: ExponentialMovingAverage | None
    loss: tf_keras.metrics.Mean
    top1: tf_keras.metrics.SparseCategoricalAccuracy


def _ema(c: ml_collections.ConfigDict, model, step=0) -> ExponentialMovingAverage | None:
    """The EMA of the model's weights when the config keeps one (`step`: the optimizer's iteration count)."""
    return ExponentialMovingAverage(model.weights, c.moving_average_decay, step) if c.moving_average_decay else None


def _build_trainee(c, strategy, image_size, total_steps, log) -> _Trainee:
    """Model (from init_checkpoint when set), its own Keras' optimizer, the trained variables, EMA, metrics."""
    with strategy.scope():
        model, report = build_model(c, image_size, c.init_checkpoint or None)
        if report is not None:
            log(str(report))
        keras = kit(keras_of(model)).keras
        optimizer = create_optimizer(c, total_steps, keras)
        variables = trainable_variables(model, scopes(c.trainable_scopes))
        if keras.__name__ == "keras":
            optimizer.build(variables)  # Keras 3 makes its slots here; a restore needs them to exist
        return _Trainee(model, optimizer, variables, _ema(c, model, optimizer.iterations), tf_keras.metrics.Mean(),
                        tf_keras.metrics.SparseCategoricalAccuracy())


def _distributed_step(c: ml_collections.ConfigDict, strategy: tf.distribute.Strategy, t: _Trainee) -> Callable:
    """The `tf.function` step: every replica computes its loss and gradients; the update is applied on all of
    them only when all are finite. Returns (summed loss, applied)."""
    classes = num_classes(c)
    connected: list[int] = []  # indices of the variables the loss reaches (known when the step is traced)

    def forward(images, labels):
        with tf.GradientTape() as tape:
            logits = t.model(images, training=True)
            per_example = _per_example_loss(labels, logits, classes, c.label_smoothing)
            loss = tf.nn.compute_average_loss(per_example, global_batch_size=c.batch_size)
            if t.model.losses:
                loss += tf.nn.scale_regularization_loss(tf.add_n(t.model.losses))
        grads = tape.gradient(loss, t.variables)
        connected[:] = [i for i, g in enumerate(grads) if g is not None]
        grads = [grads[i] for i in connected]
        finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(x)) for x in [loss] + grads])
        return loss, grads, logits, labels, 1 - tf.cast(finite, tf.int32)

    def apply(loss, grads, logits, labels):
        t.optimizer.apply_gradients(zip(grads, [t.variables[i] for i in connected]))
        if t.ema is not None:
            t.ema.update()
        t.top1.update_state(labels, logits)
        t.loss.update_state(loss * strategy.num_replicas_in_sync)

    @tf.function
    def step(iterator):
        loss, grads, logits, labels, nonfinite = strategy.run(forward, args=next(iterator))
        all_finite = strategy.reduce(tf.distribute.ReduceOp.SUM, nonfinite, axis=None) == 0

        def update():  # in cross-replica context, as tf_keras' LossScaleOptimizer skips steps
            strategy.run(apply, args=(loss, grads, logits, labels))
            return tf.constant(True)

        applied = tf.cond(all_finite, update, lambda: tf.constant(False))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None), applied

    return step


class _KerasSteps:
    """The Keras path's side of the driver: the distributed step, a CheckpointManager (model, optimizer, EMA)
    resumed from the newest readable checkpoint, TensorBoard summaries."""

    label = ""

    def __init__(self, c: ml_collections.ConfigDict, strategy, trainee: _Trainee, train_ds, workdir: str,
                 log: Log):
        self.t = trainee
        checkpoint = tf.train.Checkpoint(model=trainee.model, optimizer=trainee.optimizer,
                                         **({"ema": trainee.ema} if trainee.ema else {}))
        directory = os.path.join(workdir, "checkpoints")
        self.manager = tf.train.CheckpointManager(checkpoint, directory, max_to_keep=3)
        resumed = restore_newest_readable(checkpoint, directory, log)
        if resumed:
            log(f"resumed from {resumed} at step {self.global_step()}")
        self.writer = tf.summary.create_file_writer(os.path.join(workdir, "train"))
        self.iterator = iter(strategy.experimental_distribute_dataset(train_ds))
        self.step = _distributed_step(c, strategy, trainee)

    def run(self) -> tuple[bool, tf.Tensor]:
        loss, applied = self.step(self.iterator)
        return bool(applied), loss

    def global_step(self) -> int:
        return int(self.t.optimizer.iterations.numpy())

    def window(self) -> tuple[float, float]:
        means = float(self.t.loss.result()), float(self.t.top1.result())
        self.t.loss.reset_state()
        self.t.top1.reset_state()
        return means

    def summarize(self, entry: dict) -> None:
        with self.writer.as_default(step=entry["step"]):
            for key in ("loss", "top1", "examples_per_sec"):
                tf.summary.scalar(key, entry[key])

    def nonfinite_weight(self) -> str | None:
        return _nonfinite_weight(self.t.model.weights)

    def save(self, step: int) -> None:
        self.manager.save(checkpoint_number=step)

    def newest(self) -> str | None:
        return self.manager.latest_checkpoint


def _train_keras(c: ml_collections.ConfigDict, workdir: str, log: Log) -> tuple[object, dict]:
    """Build under the strategy, resume, drive the distributed step, evaluate (the EMA weights when kept)."""
    import keras

    strategy = create_strategy(c.strategy, c.tpu)
    image_size = c.train_image_size or zoo.get_spec(c.model).image_size
    total_steps = steps_for(c, dataset_info(c.dataset, c.dataset_dir).num_train)
    keras.utils.set_random_seed(c.seed)  # TF's global seed (slim and tf_keras initializers) and Keras 3's
    train_ds = datasets(c, "train", image_size, training=True)
    eval_ds = datasets(c, "test", c.eval_image_size or image_size, training=False)
    trainee = _build_trainee(c, strategy, image_size, total_steps, log)
    steps = _KerasSteps(c, strategy, trainee, train_ds, workdir, log)
    run = drive(c, total_steps, steps, log)
    with _averaged(trainee.ema):
        metrics = evaluate(trainee.model, eval_ds, strategy, num_classes(c))
    return trainee.model, finish(c, workdir, run, metrics, steps.newest(), log)


def _averaged(ema: ExponentialMovingAverage | None) -> contextlib.AbstractContextManager:
    """The model holds its EMA weights inside the block (when the run keeps them)."""
    return ema.swapped() if ema else contextlib.nullcontext()


def evaluate_workdir(c: ml_collections.ConfigDict, workdir: str, checkpoint: str | None = None,
                     log: Log | None = None) -> dict:
    """Evaluate the newest readable checkpoint in `workdir` (or `checkpoint`: a TF1 name-based one, or another
    workdir / object checkpoint) on the test split, with the EMA weights when the run kept them."""
    log = log or logging.info
    validate(c)
    spec = zoo.get_spec(c.model)
    image_size = c.eval_image_size or c.train_image_size or spec.image_size
    checkpoint_dir = os.path.join(workdir, "checkpoints")
    if checkpoint is None and not checkpoints_newest_first(checkpoint_dir):
        raise FileNotFoundError(f"No training checkpoint under {checkpoint_dir}; run train.py with "
                                f"--workdir={workdir} first, or pass --checkpoint=TF1_PREFIX.")
    kind = zoo.checkpoints.CheckpointReader(checkpoint).kind if checkpoint is not None else "tf2-object"
    if c.impl == "slim":
        latest = zoo.checkpoints.resolve_checkpoint(checkpoint) if checkpoint else None
        latest, metrics = read_newest(checkpoint_dir, lambda prefix: evaluate_tf1(c, prefix, image_size),
                                      zoo.checkpoints.CheckpointError, log, only=latest)
    elif kind != "tf2-object":  # a TF1 (or other foreign) checkpoint, loaded through the checkpoint engine
        latest = zoo.checkpoints.resolve_checkpoint(checkpoint)
        strategy = create_strategy(c.strategy, c.tpu)
        with strategy.scope():
            model, report = build_model(c, image_size, latest)
        log(str(report))
        metrics = evaluate(model, datasets(c, "test", image_size, training=False), strategy, num_classes(c))
    else:
        strategy = create_strategy(c.strategy, c.tpu)
        with strategy.scope():
            model, _ = build_model(c, image_size)
            ema = _ema(c, model)
        restored = tf.train.Checkpoint(model=model, **({"ema": ema} if ema else {}))
        source = zoo.checkpoints.resolve_checkpoint(checkpoint) if checkpoint else None
        latest = restore_newest_readable(restored, os.path.dirname(source) if source else checkpoint_dir, log,
                                         only=source, partial=True)
        with _averaged(ema):
            metrics = evaluate(model, datasets(c, "test", image_size, training=False), strategy, num_classes(c))
    results = {"model": c.model, "impl": c.impl, "dataset": c.dataset, "checkpoint": latest, "eval": metrics}
    write_results(workdir, "results_eval.json", results)
    log_eval(log, latest, metrics)
    return results
