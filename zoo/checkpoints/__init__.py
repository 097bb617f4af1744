"""TF1 checkpoints in and out of every implementation: reading, planning with a report, writing."""
from zoo.checkpoints.engine import CheckpointMismatchError, LoadReport, classify_key, match_keys, plan_load
from zoo.checkpoints.io import CheckpointError, CheckpointReader, resolve_checkpoint, write_checkpoint
from zoo.checkpoints.mapping import SlimMapping

__all__ = ["CheckpointError", "CheckpointMismatchError", "CheckpointReader", "LoadReport", "SlimMapping",
           "classify_key", "match_keys", "plan_load", "resolve_checkpoint", "write_checkpoint"]
