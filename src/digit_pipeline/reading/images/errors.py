"""The one error of the image modules."""


class ImageError(ValueError):
    """The input is not an image we can read digits from; the message says why."""
