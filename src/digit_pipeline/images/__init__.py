"""Images of handwritten digits turned into what the CNN reads, the way MNIST was made.

The one image package of the project: the training pipeline, the served model, the GUI
and batch prediction all call it, so what is trained on is what is served.

From an image file (``prepare_image``), one module per step:

- ``decode``: check the file against the limits, decode it to grayscale at a working size;
- ``ink``: polarity, uneven lighting and paper colour removed, Otsu's threshold;
- ``segmentation``: one box per digit, left to right;
- ``framing``: each digit (and the whole ink as one) framed like MNIST (``mnist``).
"""

from digit_pipeline.images.decode import (
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    WORKING_SIZE,
    open_image,
)
from digit_pipeline.images.errors import ImageError
from digit_pipeline.images.mnist import IMAGE_SIZE, NUM_CLASSES, to_model_input
from digit_pipeline.images.prepare import (
    PreparedImage,
    prepare_grayscale,
    prepare_image,
    prepare_opened,
    prepare_whole_digit,
)
from digit_pipeline.images.segmentation import MAX_DIGITS_PER_IMAGE

__all__ = [
    "IMAGE_SIZE",
    "MAX_DIGITS_PER_IMAGE",
    "MAX_IMAGE_BYTES",
    "MAX_IMAGE_PIXELS",
    "NUM_CLASSES",
    "WORKING_SIZE",
    "ImageError",
    "PreparedImage",
    "open_image",
    "prepare_grayscale",
    "prepare_image",
    "prepare_opened",
    "prepare_whole_digit",
    "to_model_input",
]
