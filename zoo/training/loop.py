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

import zoo
from zoo.data import build_dataset, dataset_info
from zoo.nn import keras_of, kit
from zoo.training.config import scopes, validate
from zoo.training.ema import ExponentialMovingAverage
from zoo.training.optimizers import create_optimizer, steps_for
from zoo.training.strategy import create_strategy


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
    with open(os.path.join(workdir, name), "w") as f:
        json.dump(results, f, indent=2)


def _log_eval(log, what, metrics):
    log(f"{what}: test top-1 {metrics['top1']:.4f} top-5 {metrics['top5']:.4f} loss {metrics['loss']:.4f}")


def train(c, workdir, log=print):
    """Train per config `c` in `workdir` (checkpoints, TensorBoard, results); resumes if checkpoints exist.
    Returns (model, results); model is None for impl="slim" (its result is a TF1 checkpoint)."""
    validate(c)
    os.makedirs(workdir, exist_ok=True)
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
    manager = tf.train.CheckpointManager(checkpoint, os.path.join(workdir, "checkpoints"), max_to_keep=3)
    if manager.latest_checkpoint:
        checkpoint.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        log(f"resumed from {manager.latest_checkpoint} at step {int(optimizer.iterations.numpy())}")

    @tf.function
    def train_step(iterator):
        def fn(images, labels):
            with tf.GradientTape() as tape:
                logits = model(images, training=True)
                per_example = _per_example_loss(labels, logits, num_classes, c.label_smoothing)
                loss = tf.nn.compute_average_loss(per_example, global_batch_size=c.batch_size)
                if model.losses:
                    loss += tf.nn.scale_regularization_loss(tf.add_n(model.losses))
            optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
            if ema is not None:
                ema.update(optimizer.iterations)
            train_top1.update_state(labels, logits)
            train_loss.update_state(loss * strategy.num_replicas_in_sync)
            return loss

        return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(fn, args=next(iterator)), axis=None)

    writer = tf.summary.create_file_writer(os.path.join(workdir, "train"))
    iterator = iter(strategy.experimental_distribute_dataset(train_ds))
    step = int(optimizer.iterations.numpy())
    start, window_start, window_step = time.time(), time.time(), step
    history = []
    while step < total_steps:
        loss = train_step(iterator)
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
            manager.save(checkpoint_number=step)
        del loss

    with ema.swapped() if ema else _nothing():
        metrics = evaluate(model, eval_ds, strategy, num_classes)
    results = {"model": c.model, "impl": c.impl, "dataset": c.dataset, "steps": step,
               "train_seconds": round(time.time() - start, 1), "eval": metrics, "history": history,
               "checkpoint": manager.latest_checkpoint}
    _write_results(workdir, "results_train.json", results)
    _log_eval(log, f"after {step} steps ({results['train_seconds']} s)", metrics)
    return model, results


@contextlib.contextmanager
def _nothing():
    yield


def evaluate_workdir(c, workdir, checkpoint=None, log=print):
    """Evaluate the latest checkpoint in `workdir` (or a TF1 name-based `checkpoint`) on the test split,
    with the EMA weights when the run kept them."""
    validate(c)
    spec = zoo.get_spec(c.model)
    image_size = c.eval_image_size or c.train_image_size or spec.image_size
    latest = checkpoint or tf.train.latest_checkpoint(os.path.join(workdir, "checkpoints"))
    if latest is None:
        raise FileNotFoundError(f"No training checkpoint under {workdir}/checkpoints; run train.py with "
                                f"--workdir={workdir} first, or pass --checkpoint=TF1_PREFIX.")
    if c.impl == "slim" or checkpoint is not None and zoo.checkpoints.CheckpointReader(checkpoint).kind == "tf1":
        if c.impl == "slim":
            from zoo.training.tf1_loop import evaluate_tf1

            metrics = evaluate_tf1(c, latest, image_size, _num_classes(c))
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
        restored.restore(latest).expect_partial().assert_existing_objects_matched()
        with ema.swapped() if ema else _nothing():
            metrics = evaluate(model, datasets(c, "test", image_size, training=False), strategy, _num_classes(c))
    results = {"model": c.model, "impl": c.impl, "dataset": c.dataset, "checkpoint": latest, "eval": metrics}
    _write_results(workdir, "results_eval.json", results)
    _log_eval(log, latest, metrics)
    return results
