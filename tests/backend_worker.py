"""The Keras 3 side of tests/test_backends.py, run in a process of its own per backend (one Keras backend per
process: `KERAS_BACKEND` is read at `import keras`).

    KERAS_BACKEND=jax python tests/backend_worker.py JOB.json OUT_DIR

For every parity case: the native model from the TF1 checkpoint (strict), its logits on the given images, and
the logits of the model saved to `.keras` and loaded back, and the logits of the model `zoo.migrate` generated from
the slim code; for Google's release, the softmax on the photographs;
`fine_tune` the first losses of `fit` from a TF1 checkpoint. Results go to OUT_DIR/*.npz; the test compares.
"""
import json
import os
import sys

import numpy as np


def logits_and_round_trip(case, out_dir):
    import keras

    import zoo

    model = zoo.create_model(case["arch"], checkpoint=case["checkpoint"], image_size=case["image_size"],
                             **case["kwargs"])
    images = np.load(case["images"])
    logits = keras.ops.convert_to_numpy(model(images))
    migrated = _migrated_logits(case, images)
    if not case.get("round_trip", True):
        return {"logits": logits, "mapped": len(model.load_report.mapped), **migrated}
    path = os.path.join(out_dir, f"{case['arch']}.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    again = keras.ops.convert_to_numpy(loaded(images))
    os.remove(path)
    return {"logits": logits, "round_trip": again, "mapped": len(model.load_report.mapped),
            "same_class": type(loaded) is type(model), **migrated}


def _migrated_logits(case, images):
    """`zoo.migrate`'s generated module for the case (written on the TensorFlow backend), built on this backend,
    with the TF1 checkpoint loaded strictly by TF1 name."""
    import keras

    import zoo
    from zoo.migration import build_from_source

    with open(case["migrated_source"]) as f:
        model = build_from_source(f.read())
    report = zoo.load_checkpoint(model, case["checkpoint"])
    outputs = model(images)  # the logits, then any head off their path (Inception's AuxLogits)
    logits = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    return {"migrated": keras.ops.convert_to_numpy(logits), "migrated_mapped": len(report.mapped)}


def release_softmax(frozen_graph, photos):
    import keras

    import zoo

    model = zoo.create_model("mobilenet_v1_025", frozen_graph=frozen_graph)
    return {"softmax": keras.ops.convert_to_numpy(keras.ops.softmax(model(np.load(photos))))}


def fine_tune(checkpoint, steps=6, batch=32):
    """LeNet from a TF1 checkpoint, `fit` on digits for a few steps: the loss of each step (the first one before
    any update). Dropout off and no shuffling, so that every backend sees the same computation."""
    import keras

    import zoo
    from zoo.data import build_dataset

    keras.utils.set_random_seed(0)
    model = zoo.create_model("lenet", checkpoint=checkpoint, dropout_keep_prob=1.0, weight_decay=1e-4)
    data = build_dataset("digits", "train", batch * steps, 28, 1, training=False, preprocessing="lenet")
    images, labels = (t.numpy() for t in next(iter(data)))
    model.compile(optimizer=keras.optimizers.SGD(0.001, momentum=0.9),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    losses = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, step, logs=None):
            losses.append(float(logs["loss"]))

    model.fit(images, labels, batch_size=batch, epochs=1, shuffle=False, verbose=0, callbacks=[Record()])
    # Keras reports the running mean of the epoch's losses; recover each step's own loss.
    per_step = [losses[0]] + [(i + 1) * losses[i] - i * losses[i - 1] for i in range(1, len(losses))]
    return {"losses": np.array(per_step)}


def main(job_path, out_dir):
    import keras

    with open(job_path) as f:
        job = json.load(f)
    backend = keras.backend.backend()
    for case in job["cases"]:
        np.savez(os.path.join(out_dir, f"{backend}-{case['arch']}.npz"), **logits_and_round_trip(case, out_dir))
        print(f"{backend} {case['arch']} done", flush=True)
    if job.get("release"):
        np.savez(os.path.join(out_dir, f"{backend}-release.npz"), **release_softmax(**job["release"]))
    if job.get("fine_tune"):
        np.savez(os.path.join(out_dir, f"{backend}-fine_tune.npz"), **fine_tune(job["fine_tune"]))


if __name__ == "__main__":
    main(*sys.argv[1:3])
