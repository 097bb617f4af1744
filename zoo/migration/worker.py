"""`KERAS_BACKEND=jax python -m zoo.migration.worker DIR`: build DIR/model.py's model on this backend, set its
weights from DIR/weights.npz by TF1 name, and write its outputs and named layers' outputs on DIR/images.npz to
DIR/out.npz (the parity report's other backends)."""
import json
import os
import sys

import numpy as np


def main(work):
    from zoo.migration import _assign, build_from_source
    from zoo.migration.parity import keras_outputs

    with open(os.path.join(work, "model.py")) as f:
        model = build_from_source(f.read())
    with np.load(os.path.join(work, "weights.npz")) as w:
        _assign(model, {k: w[k] for k in w.files}, "weights.npz")
    with open(os.path.join(work, "layers.json")) as f:
        names = json.load(f)
    with np.load(os.path.join(work, "images.npz")) as images:
        outputs = keras_outputs(model, names, {k: images[k] for k in images.files})
    np.savez(os.path.join(work, "out.npz"), **{f"a{i}": v for i, v in enumerate(outputs)})


if __name__ == "__main__":
    main(sys.argv[1])
