"""OverFeat as research/slim has it: tf_slim's, with the `default_image_size` research/slim gives it (tf-slim's
copy lacks it). AlexNet v2 is tf_slim's unchanged."""
import functools

from tf_slim.nets import overfeat as slim_overfeat


@functools.wraps(slim_overfeat.overfeat)
def overfeat(*args, **kwargs):
    """tf_slim's OverFeat with the `default_image_size` research/slim gives it (tf-slim's copy lacks it)."""
    return slim_overfeat.overfeat(*args, **kwargs)


overfeat.default_image_size = 231
overfeat_arg_scope = slim_overfeat.overfeat_arg_scope
