"""Weights out of a frozen GraphDef whose float Const nodes carry slim variable names (how the TF-Slim
releases shipped `*_frozen.pb`): into a TF1 checkpoint, or straight into any implementation."""
import os
from typing import Dict

import numpy as np
import tensorflow as tf

from zoo.checkpoints.io import ArrayReader, CheckpointError, PathLike, check_destination, write_checkpoint


def parse_graph_def(path: PathLike) -> "tf.compat.v1.GraphDef":
    """The binary GraphDef at `path`, or a CheckpointError saying why not."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"No frozen graph at {path!r}.")
    graph_def = tf.compat.v1.GraphDef()
    try:
        with open(path, "rb") as f:
            graph_def.ParseFromString(f.read())
    except Exception as e:  # protobuf raises its own DecodeError
        raise CheckpointError(f"{path!r} is not a binary GraphDef ({type(e).__name__}: {e}). Pass the "
                              "release's *_frozen.pb file.") from e
    return graph_def


def read_frozen_graph(path: PathLike) -> Dict[str, np.ndarray]:
    """{node name: array} for every floating-point Const node of rank >= 1 (the frozen variables)."""
    graph_def = parse_graph_def(path)
    weights = {}
    for node in graph_def.node:
        if node.op != "Const" or node.attr["dtype"].type not in (tf.float32.as_datatype_enum,
                                                                 tf.float16.as_datatype_enum):
            continue
        array = tf.make_ndarray(node.attr["value"].tensor)
        if array.ndim >= 1:
            weights[node.name] = array
    if not weights:
        raise CheckpointError(f"{path!r} holds no float constants: not a frozen graph with weights.")
    return weights


def frozen_graph_reader(path: PathLike) -> ArrayReader:
    return ArrayReader(read_frozen_graph(path), origin=os.fspath(path))


def frozen_graph_to_checkpoint(path: PathLike, prefix: PathLike, overwrite: bool = False) -> str:
    """Write the frozen graph's weights as a TF1 name-based checkpoint (atomically). Returns the prefix."""
    check_destination(prefix, overwrite)
    return write_checkpoint(read_frozen_graph(path), prefix, overwrite)
