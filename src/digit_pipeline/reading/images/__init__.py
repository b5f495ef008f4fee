"""Images of handwritten digits turned into what the CNN reads, the way MNIST was made.

The one image package of the project: the training pipeline and the reader
(``digit_pipeline.reading``) call it, so what is trained on is what is served.

From an image file (``prepare_image``, in ``photo``), one module per step:

- ``decode``: check the file against the limits, decode it at a photo's working size;
- ``sheet``: a sheet of paper in a photo, found and rectified (OpenCV), else the image
  reduced to grayscale at a working size;
- ``ink``: polarity, uneven lighting and paper colour removed, each mark's own level;
- ``lines``: the page turned level, printed rules out, its lines of writing (bands of rows);
- ``segmentation``: each line cut into ``pieces`` finer than digits, and their groupings;
- ``framing``: each candidate digit (and the whole ink as one) framed like MNIST (``mnist``).
"""

from digit_pipeline.reading.images.decode import open_image
from digit_pipeline.reading.images.errors import ImageError
from digit_pipeline.reading.images.mnist import (
    IMAGE_SIZE,
    NUM_CLASSES,
    to_model_input,
)
from digit_pipeline.reading.images.network_input import PreparedImage, PreparedLine
from digit_pipeline.reading.images.photo import prepare_image, prepare_opened
from digit_pipeline.reading.images.prepare import prepare_grayscale, prepare_whole_digit

__all__ = [
    "IMAGE_SIZE",
    "NUM_CLASSES",
    "ImageError",
    "PreparedImage",
    "PreparedLine",
    "open_image",
    "prepare_grayscale",
    "prepare_image",
    "prepare_opened",
    "prepare_whole_digit",
    "to_model_input",
]
