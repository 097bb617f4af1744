"""Images from the command line's references: files (JPEG, PNG, BMP, GIF), `skimage:NAME` photographs, and
directories of image files (a representative set for quantization)."""
import os
from typing import List

import numpy as np
import tensorflow as tf

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".gif")


def load_image(ref: str, channels: int = 3) -> np.ndarray:
    """A file (JPEG, PNG, BMP, GIF) or `skimage:NAME` for scikit-image's bundled photographs, as uint8 HWC with
    `channels` channels (1: grayscale models such as LeNet)."""
    if ref.startswith("skimage:"):
        try:
            import skimage.data
        except ImportError:
            raise ValueError(f"{ref} needs scikit-image (pip install scikit-image); image files work without "
                             "it.") from None
        name = ref.split(":", 1)[1]
        if not callable(getattr(skimage.data, name, None)) or name.startswith("_"):
            raise ValueError(f"scikit-image has no photograph {name!r} (try chelsea, coffee, astronaut, rocket)")
        image = np.asarray(getattr(skimage.data, name)())
        image = image[..., None] if image.ndim == 2 else image[..., :3]
        if image.shape[-1] != channels:
            image = (tf.image.rgb_to_grayscale(image) if channels == 1 else tf.image.grayscale_to_rgb(image)).numpy()
        return image
    try:
        with open(ref, "rb") as f:
            return tf.io.decode_image(f.read(), channels=channels, expand_animations=False).numpy()
    except IsADirectoryError:
        raise ValueError(f"{ref!r} is a directory; pass image files") from None
    except FileNotFoundError:
        raise ValueError(f"No image at {ref!r}") from None
    except tf.errors.InvalidArgumentError as e:
        raise ValueError(f"{ref!r} is not a JPEG, PNG, BMP or GIF image ({e.message.splitlines()[0]})") from None


def image_files(directory: str) -> List[str]:
    """The image files directly in `directory` (by extension), sorted; one clear error when there are none."""
    if not os.path.isdir(directory):
        raise ValueError(f"No directory at {directory!r}: pass a folder of JPEG/PNG/BMP/GIF images.")
    files = sorted(os.path.join(directory, f) for f in os.listdir(directory) if f.lower().endswith(IMAGE_EXTENSIONS))
    if not files:
        raise ValueError(f"{directory!r} holds no JPEG/PNG/BMP/GIF images (by extension); pass a folder that does.")
    return files
