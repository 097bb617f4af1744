"""The naming rule, re-exported where checkpoint code (and the migrator) has always found it: see zoo.slim_names."""
from zoo.slim_names import SEPARATOR, SlimMapping, layer_name, under

__all__ = ["SEPARATOR", "SlimMapping", "layer_name", "under"]
