"""Images of handwritten digits turned into what the networks read: each line of writing
as a strip for the line model, all the ink framed as one digit the way MNIST was made.

The one image package of the project: the training pipeline and the reader
(``digit_pipeline.reading``) call it, so what is trained on is what is served.

From an image file (``prepare_image``, in ``photo``), one module per step:

- ``decode``: check the file against the limits, decode it at a photo's working size;
- ``sheet``: a sheet of paper in a photo, found and rectified (OpenCV), else the image
  reduced to grayscale at a working size;
- ``ink``: polarity, uneven lighting and paper colour removed, each mark's own level;
- ``lines``: the page turned level, printed rules out, its lines of writing (bands of rows);
- ``marks``: each line's marks (``pieces`` of ink; a stroke broken across is one mark);
- ``strip``: each line as the line model reads it;
- ``framing``: the whole ink framed as one digit like MNIST (``mnist``), for the CNN.
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
