"""New writers: MNIST digits rewritten in one consistent hand that MNIST rarely shows, to
measure reading and teaching on handwriting unlike MNIST's (issues #16, #28).

Each hand (``HANDS``) is a slant, a width and a pen, and the marks it adds (``hands.Hand``).
Each digit keeps its own shape under the style, and varies a little in slant and marks, as
one person's digits do. Build them from MNIST's training digits only.

    digits = write_in_hand(images, labels, np.random.default_rng(0))  # the backhand
    digits = write_in_hand(images, labels, rng, HANDS["upright, broad"])  # (N, 28, 28) in [0, 1]
"""

from __future__ import annotations

import numpy as np

from digit_pipeline.training.hands import Hand, in_hand

HANDS = {
    # A strong backhand, crossed 7s, 1s with a flag and a foot.
    "backhand": Hand(slant=0.7),
    # Upright and broad, a blunt pen: crossed 7s, 1s with a flag and no foot.
    "upright, broad": Hand(slant=0.0, width=1.4, stroke=3.0, thicken=1.0, bar=0.6, foot=0.0),
    # Leaning forward and narrow, a fine pen: plain 7s, 1s with a long flag and a foot.
    "forward, narrow": Hand(slant=-0.45, width=0.7, stroke=1.6, bar=0.0, flag=0.5, foot=0.35),
}


def write_in_hand(
    images: np.ndarray, labels: np.ndarray, rng: np.random.Generator, hand: Hand = HANDS["backhand"]
) -> np.ndarray:
    """MNIST-convention digits (N, 28, 28) 0-255 rewritten in ``hand``, framed like MNIST:
    (N, 28, 28) float32 in [0, 1]."""
    return np.stack(
        [in_hand(image, int(label), rng, hand) for image, label in zip(images, labels, strict=True)]
    )
