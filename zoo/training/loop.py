"""One training loop for every Keras implementation — the Keras 3 native (default; TensorFlow backend), the
tf_keras native and the shim — under any tf.distribute strategy: a `tf.function` step run by `strategy.run`,
`compute_average_loss` over the global batch, regularization losses scaled per replica, batch-norm updates
through `training=True`, optional EMA weights for eval; the optimizer is the model's own Keras'.
impl="slim" runs the legacy TF1 Session loop instead (zoo.training.tf1_loop)."""
import contextlib
import json
import os
import time

import tensorflow as tf
import tf_keras
from absl import logging

import zoo
from zoo.data import build_dataset, dataset_info
from zoo.errors import NonFiniteLossError
from zoo.nn import keras_of, kit
from zoo.training.config import scopes, validate
from zoo.training.ema import ExponentialMovingAverage
from zoo.training.tf1_loop import check_skip
from zoo.training.optimizers import create_optimizer, steps_for
from zoo.training.strategy import create_strategy
from zoo.training.workdir import WorkdirLock, checkpoints_newest_first, read_newest, restore_newest_readable


def _num_classes(c):
    return c.num_classes or dataset_info(c.dataset, c.dataset_dir).num_classes - c.labels_offset


def datasets(c, split, image_size, training):
    """The config's dataset, preprocessed for its model (the one place train and eval build data)."""
    spec = zoo.get_spec(c.model)
    batch = c.batch_size if training else c.eval_batch_size
    return build_dataset(c.dataset, split, batch, image_size, spec.channels, training=training, seed=c.seed,
                         dataset_dir=c.dataset_dir, preprocessing=c.preprocessing or spec.preprocessing)


def build_model(c, image_size, checkpoint=None):
    spec = zoo.get_spec(c.model)
    if c.hub_module:
        return hub_classifier(c.hub_module, c.hub_trainable, (image_size, image_size, spec.channels),
                              _num_classes(c)), None
    kwargs = dict(num_classes=_num_classes(c), image_size=image_size, weight_decay=c.weight_decay)
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


def hub_classifier(handle, trainable, input_shape, num_classes):
    """A TF2 feature-vector SavedModel through hub.KerasLayer, with a new linear classifier."""
    import tensorflow_hub as hub

    inputs = tf_keras.Input(input_shape)
    features = hub.KerasLayer(handle, trainable=trainable, name="hub_backbone")(inputs)
    if len(features.shape) != 2:
        raise ValueError(f"hub_module {handle!r} gives {features.shape}; a feature vector [N, features] is "
                         "needed (export one with zoo.export.export_feature_vector).")
    return tf_keras.Model(inputs, tf_keras.layers.Dense(num_classes, name="logits")(features), name="hub_classifier")


def trainable_variables(model, trainable_scopes):
    if not trainable_scopes:
        return model.trainable_variables
    named = zoo.slim_variables(model)
    chosen = {id(v) for n, v in named.items() if any(n.startswith(s.rstrip("/") + "/") for s in trainable_scopes)}
    if not chosen:
        raise ValueError(f"trainable_scopes {list(trainable_scopes)} match no variable; scopes look like "
                         f"{sorted(named)[:3]}")
    return [v for v in model.trainable_variables if id(v) in chosen]


def _per_example_loss(labels, logits, num_classes, label_smoothing):
    if label_smoothing:
        onehot = tf.one_hot(labels, num_classes)
        return tf_keras.losses.categorical_crossentropy(onehot, logits, from_logits=True,
                                                        label_smoothing=label_smoothing)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)


def evaluate(model, dataset, strategy, num_classes):
    """top-1, top-5 and mean cross-entropy over one pass of `dataset`."""
    with strategy.scope():
        top1 = tf_keras.metrics.SparseCategoricalAccuracy()
        top5 = tf_keras.metrics.SparseTopKCategoricalAccuracy(k=min(5, num_classes))
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


def _write_results(workdir, name, results):
    os.makedirs(workdir, exist_ok=True)
    tmp = os.path.join(workdir, f".{name}.tmp-{os.getpid()}")
    with open(tmp, "w") as f:
        json.dump(results, f, indent=2)
    os.replace(tmp, os.path.join(workdir, name))  # a kill never leaves half a results file


def _log_eval(log, what, metrics):
    log(f"{what}: test top-1 {metrics['top1']:.4f} top-5 {metrics['top5']:.4f} loss {metrics['loss']:.4f}")


def _nonfinite_weight(variables):
    """The name of the first variable holding NaN/inf, or None (checked on device before every save)."""
    for v in variables:
        value = tf.convert_to_tensor(v)
        if value.dtype.is_floating and not bool(tf.reduce_all(tf.math.is_finite(value))):
            return getattr(v, "path", None) or v.name
    return None


def train(c, workdir, log=None):
    """Train per config `c` in `workdir` (checkpoints, TensorBoard, results); resumes if checkpoints exist
    (from the newest readable one). One run per workdir (a lock file); a non-finite loss or gradient stops the
    run, or with on_nonfinite="skip" skips the step, and nothing non-finite is ever saved.
    Returns (model, results); model is None for impl="slim" (its result is a TF1 checkpoint)."""
    log = log or logging.info
    validate(c)
    with WorkdirLock(workdir, log):
        return _train(c, workdir, log)


def _train(c, workdir, log):
    if c.impl == "slim":
        from zoo.training.tf1_loop import evaluate_tf1, train_tf1

        start = time.time()
        prefix, history = train_tf1(c, workdir, _num_classes(c), log=log)
        image_size = c.eval_image_size or c.train_image_size or zoo.get_spec(c.model).image_size
        metrics = evaluate_tf1(c, prefix, image_size, _num_classes(c))
        results = {"model": c.model, "impl": c.impl, "dataset": c.dataset,
                   "steps": steps_for(c, dataset_info(c.dataset, c.dataset_dir).num_train),
                   "train_seconds": round(time.time() - start, 1), "eval": metrics, "history": history,
                   "checkpoint": prefix}
        _write_results(workdir, "results_train.json", results)
        _log_eval(log, f"after {results['steps']} steps ({results['train_seconds']} s)", metrics)
        return None, results
    strategy = create_strategy(c.strategy, c.tpu)
    spec, info = zoo.get_spec(c.model), dataset_info(c.dataset, c.dataset_dir)
    image_size = c.train_image_size or spec.image_size
    num_classes = _num_classes(c)
    total_steps = steps_for(c, info.num_train)
    import keras

    keras.utils.set_random_seed(c.seed)  # TF's global seed (slim and tf_keras initializers) and Keras 3's
    train_ds = datasets(c, "train", image_size, training=True)
    eval_ds = datasets(c, "test", c.eval_image_size or image_size, training=False)

    with strategy.scope():
        model, report = build_model(c, image_size, c.init_checkpoint or None)
        if report is not None:
            log(str(report))
        keras = kit(keras_of(model)).keras
        optimizer = create_optimizer(c, total_steps, keras)
        variables = trainable_variables(model, scopes(c.trainable_scopes))
        if keras.__name__ == "keras":
            optimizer.build(variables)  # Keras 3 makes its slots here; a restore needs them to exist
        ema = ExponentialMovingAverage(model.weights, c.moving_average_decay) if c.moving_average_decay else None
        train_top1 = tf_keras.metrics.SparseCategoricalAccuracy()
        train_loss = tf_keras.metrics.Mean()
    checkpoint = tf.train.Checkpoint(model=model, optimizer=optimizer, **({"ema": ema} if ema else {}))
    checkpoint_dir = os.path.join(workdir, "checkpoints")
    manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=3)
    resumed = restore_newest_readable(checkpoint, checkpoint_dir, log)
    if resumed:
        log(f"resumed from {resumed} at step {int(optimizer.iterations.numpy())}")
    connected = []  # indices of the variables the loss reaches (known when the step is traced)

    @tf.function
    def train_step(iterator):
        def forward(images, labels):
            with tf.GradientTape() as tape:
                logits = model(images, training=True)
                per_example = _per_example_loss(labels, logits, num_classes, c.label_smoothing)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=c.batch_size)
                if model.losses:
                    loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            grads = tape.gradient(loss, variables)
            connected[:] = [i for i, g in enumerate(grads) if g is not None]
            grads = [grads[i] for i in connected]
            finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in [loss] + grads])
            return loss, grads, logits, labels, 1 - tf.cast(finite, tf.int32)

        def apply(loss, grads, logits, labels):
            optimizer.apply_gradients(zip(grads, [variables[i] for i in connected]))
            if ema is not None:
                ema.update(optimizer.iterations)
            train_top1.update_state(labels, logits)
            train_loss.update_state(loss * strategy.num_replicas_in_sync)

        loss, grads, logits, labels, nonfinite = strategy.run(forward, args=next(iterator))
        all_finite = strategy.reduce(tf.distribute.ReduceOp.SUM, nonfinite, axis=None) == 0

        def update():  # in cross-replica context, as tf_keras' LossScaleOptimizer skips steps
            strategy.run(apply, args=(loss, grads, logits, labels))
            return tf.constant(True)

        applied = tf.cond(all_finite, update, lambda: tf.constant(False))
        return strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None), applied

    def save(step):
        bad = _nonfinite_weight(model.weights)
        if bad:
            raise NonFiniteLossError(
                f"step {step}: variable {bad} holds NaN/inf (e.g. batch-norm statistics updated by a skipped step); "
                f"not saved. The newest checkpoint, {manager.latest_checkpoint}, is the last finite state; lower "
                f"learning_rate (now {c.learning_rate}) and resume.")
        manager.save(checkpoint_number=step)

    writer = tf.summary.create_file_writer(os.path.join(workdir, "train"))
    iterator = iter(strategy.experimental_distribute_dataset(train_ds))
    step = int(optimizer.iterations.numpy())
    start, window_start, window_step = time.time(), time.time(), step
    history, skipped, skipped_in_row = [], 0, 0
    while step < total_steps:
        loss, applied = train_step(iterator)
        if not bool(applied):
            skipped, skipped_in_row = skipped + 1, skipped_in_row + 1
            check_skip(c, step + 1, loss, skipped, skipped_in_row, manager.latest_checkpoint, log)
            continue
        skipped_in_row = 0
        step = int(optimizer.iterations.numpy())
        if step % c.log_every == 0 or step == total_steps:
            now = time.time()
            rate = (step - window_step) * c.batch_size / max(now - window_start, 1e-9)
            entry = {"step": step, "loss": float(train_loss.result()), "top1": float(train_top1.result()),
                     "examples_per_sec": rate}
            history.append(entry)
            log(f"step {step}/{total_steps} ({100 * step / total_steps:.0f}%) loss {entry['loss']:.4f} "
                f"top-1 {entry['top1']:.3f} {rate:.0f} examples/s")
            with writer.as_default(step=step):
                tf.summary.scalar("loss", entry["loss"])
                tf.summary.scalar("top1", entry["top1"])
                tf.summary.scalar("examples_per_sec", rate)
            train_loss.reset_state()
            train_top1.reset_state()
            window_start, window_step = now, step
        if step % c.checkpoint_every == 0 or step == total_steps:
            save(step)
        del loss

    with ema.swapped() if ema else _nothing():
        metrics = evaluate(model, eval_ds, strategy, num_classes)
    results = {"model": c.model, "impl": c.impl, "dataset": c.dataset, "steps": step,
               "train_seconds": round(time.time() - start, 1), "eval": metrics, "history": history,
               "skipped_steps": skipped, "checkpoint": manager.latest_checkpoint}
    _write_results(workdir, "results_train.json", results)
    _log_eval(log, f"after {step} steps ({results['train_seconds']} s)", metrics)
    return model, results


@contextlib.contextmanager
def _nothing():
    yield


def evaluate_workdir(c, workdir, checkpoint=None, log=None):
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
    if c.impl == "slim" or kind != "tf2-object":
        latest = zoo.checkpoints.resolve_checkpoint(checkpoint) if checkpoint else None
        if c.impl == "slim":
            from zoo.training.tf1_loop import evaluate_tf1

            latest, metrics = read_newest(checkpoint_dir,
                                          lambda prefix: evaluate_tf1(c, prefix, image_size, _num_classes(c)),
                                          zoo.checkpoints.CheckpointError, log, only=latest)
        else:
            strategy = create_strategy(c.strategy, c.tpu)
            with strategy.scope():
                model, report = build_model(c, image_size, latest)
            log(str(report))
            metrics = evaluate(model, datasets(c, "test", image_size, training=False), strategy, _num_classes(c))
    else:
        strategy = create_strategy(c.strategy, c.tpu)
        with strategy.scope():
            model, _ = build_model(c, image_size)
            ema = ExponentialMovingAverage(model.weights, c.moving_average_decay) if c.moving_average_decay else None
        restored = tf.train.Checkpoint(model=model, **({"ema": ema} if ema else {}))
        source = zoo.checkpoints.resolve_checkpoint(checkpoint) if checkpoint else None
        latest = restore_newest_readable(restored, os.path.dirname(source) if source else checkpoint_dir, log,
                                         only=source, partial=True)
        with ema.swapped() if ema else _nothing():
            metrics = evaluate(model, datasets(c, "test", image_size, training=False), strategy, _num_classes(c))
    results = {"model": c.model, "impl": c.impl, "dataset": c.dataset, "checkpoint": latest, "eval": metrics}
    _write_results(workdir, "results_eval.json", results)
    _log_eval(log, latest, metrics)
    return results
