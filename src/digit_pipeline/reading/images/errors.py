"""The one error of the image modules."""

BLANK = "no digit found: the image is blank"


class ImageError(ValueError):
    """The input is not an image we can read digits from; the message says why."""

    @property
    def blank(self) -> bool:
        """Whether no ink was found in it at all."""
        return str(self) == BLANK
