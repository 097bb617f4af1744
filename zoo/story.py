"""`python -m zoo story`: the migration story end to end on the embedded digits data, in six steps.

1. the slim original (LeNet) trained in a TF1 graph with a `tf.compat.v1.Session` loop -> a TF1 checkpoint;
2. that checkpoint loaded strictly into the Keras 3 native and the shim, logits compared with the slim graph;
3. the Keras 3 native fine-tuned from it under `tf.distribute` (MirroredStrategy), fresh classifier;
4. evaluated from its workdir by the same code as eval.py;
5. exported to TFLite;
6. one test digit predicted by TFLite and by Keras: the same class.
"""
import os
import time

import numpy as np


def run(workdir: str, slim_steps: int = 300, fine_tune_steps: int = 150, log=print) -> dict:
    import tensorflow as tf

    import zoo
    from zoo import export
    from zoo.data import build_dataset
    from zoo.training.config import default_config
    from zoo.training.loop import evaluate_workdir, train

    start = time.time()

    def step(n, what):
        log(f"\n[{n}/6] {what}  ({time.time() - start:.0f} s)")

    def config(**overrides):
        c = default_config()
        c.update(dict(model="lenet", dataset="digits", batch_size=64, learning_rate=0.01, log_every=50,
                      checkpoint_every=100), **overrides)
        return c

    step(1, f"slim LeNet trained in a TF1 graph + Session for {slim_steps} steps")
    _, slim_run = train(config(impl="slim", train_steps=slim_steps), os.path.join(workdir, "slim"), log=log)
    tf1_checkpoint = slim_run["checkpoint"]

    step(2, f"TF1 checkpoint {os.path.basename(tf1_checkpoint)} into the Keras 3 native and the shim")
    images = next(iter(build_dataset("digits", "test", 64, 28, 1, training=False, preprocessing="lenet")))[0].numpy()
    graph = zoo.create_model("lenet", "slim", checkpoint=tf1_checkpoint)
    expected = graph(images)
    differences = {}
    for impl in ("native", "shim"):
        model = zoo.create_model("lenet", impl, checkpoint=tf1_checkpoint)
        differences[impl] = float(np.abs(np.asarray(model(images)) - expected).max())
        log(f"  {impl:<6} ({type(model).__module__.split('.')[0]} {type(model).__name__}): "
            f"{len(model.load_report.mapped)} variables mapped, max |logit - slim graph logit| = "
            f"{differences[impl]:.2e} over {len(images)} test digits")
    graph.close()

    step(3, f"Keras 3 native fine-tuned from it under tf.distribute.MirroredStrategy, new classifier "
            f"({fine_tune_steps} steps)")
    fine = config(impl="native", keras="keras", strategy="mirrored", init_checkpoint=tf1_checkpoint,
                  checkpoint_exclude_scopes="LeNet/fc4", train_steps=fine_tune_steps, dropout_keep_prob=1.0, seed=7)
    model, fine_run = train(fine, os.path.join(workdir, "fine_tune"), log=log)

    step(4, "evaluated from the workdir's checkpoint (as eval.py does)")
    evaluated = evaluate_workdir(fine, os.path.join(workdir, "fine_tune"), log=log)

    step(5, "exported to TFLite")
    tflite_path = export.export_tflite(model, os.path.join(workdir, "lenet.tflite"), overwrite=True)
    log(f"  wrote {tflite_path} ({os.path.getsize(tflite_path) / 1e6:.1f} MB)")

    step(6, "one test digit through TFLite and through Keras")
    digit = images[:1]
    lite = export.run_tflite(tflite_path, digit)[0]
    keras_probabilities = tf.nn.softmax(model(digit, training=False)).numpy()[0]
    agree = int(lite.argmax()) == int(keras_probabilities.argmax())
    log(f"  TFLite: class {lite.argmax()} (p={lite.max():.4f}); Keras: class {keras_probabilities.argmax()} "
        f"(p={keras_probabilities.max():.4f}); max |difference| {np.abs(lite - keras_probabilities).max():.1e}; "
        f"{'they agree' if agree else 'THEY DISAGREE'}")
    summary = {"slim_test_top1": slim_run["eval"]["top1"], "logit_difference": differences,
               "fine_tuned_test_top1": evaluated["eval"]["top1"], "tflite_agrees": agree,
               "seconds": round(time.time() - start, 1)}
    log(f"\ndone in {summary['seconds']} s: slim top-1 {summary['slim_test_top1']:.4f} -> fine-tuned Keras 3 "
        f"top-1 {summary['fine_tuned_test_top1']:.4f}; outputs in {workdir}")
    if not agree:
        raise RuntimeError("TFLite and Keras disagree on the test digit")
    return summary
