"""Random changes of the training images, as Keras layers in the model's graph: rotation,
zoom, shift, pens finer and bolder than MNIST's, and hands that MNIST's writers lack:
digits slanted either way, broader or narrower, strokes bent (elastic distortion). They
pass images through unchanged at inference."""

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from digit_pipeline.parameters import Augmentation


def augmentation_layers(params: Augmentation, seed: int, for_training: bool = True) -> keras.Layer:
    """Random rotation, zoom and shift, another writer's slant, width and bends, and stroke
    width of batches of images, empty space filled black.

    Keras layers run in the model's graph on whole batches, the cheapest place for them
    on a CPU (a per-image ``tf.data`` map costs several times more).
    """
    fill = {"fill_mode": "constant", "fill_value": 0.0}
    augmentations = []
    if params.rotation_degrees:
        augmentations.append(
            layers.RandomRotation(params.rotation_degrees / 360, seed=seed, **fill)
        )
    if params.zoom:
        augmentations.append(layers.RandomZoom(params.zoom, seed=seed + 1, **fill))
    if params.shift:
        augmentations.append(
            layers.RandomTranslation(params.shift, params.shift, seed=seed + 2, **fill)
        )
    # Training only: the saved model stays plain Keras.
    if (params.slant or params.aspect or params.elastic) and for_training:
        augmentations.append(RandomHand(params.slant, params.aspect, params.elastic, seed + 4))
    if params.stroke_width and for_training:
        augmentations.append(RandomStrokeWidth(params.stroke_width, seed=seed + 3))
    if not augmentations:
        return layers.Identity(name="augmentation")
    return keras.Sequential(augmentations, name="augmentation")


class RandomHand(layers.Layer):
    """Other writers' hands: each image slanted (its top shifted against its bottom by up
    to ``slant`` of its height, either way), made broader or narrower (by up to
    ``aspect``) about its centre, and its strokes bent by a smooth random field (elastic
    distortion, Simard, Steinkraus and Platt 2003: each point of a 4x4 grid over the image
    moved by a normal draw of ``elastic`` pixels along each axis, the moves between
    interpolated), all in one bilinear resampling, black outside. Unchanged at inference.
    """

    GRID = 4

    def __init__(
        self, slant: float, aspect: float, elastic: float, seed: int | None = None, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.slant, self.aspect, self.elastic = slant, aspect, elastic
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training:
            return images
        shape = tf.shape(images)
        count, height, width = shape[0], shape[1], shape[2]

        def uniform(limit):
            return keras.random.uniform((count, 1, 1), -limit, limit, seed=self.generator)

        # The input point read for each output point, about the image's centre.
        rows, columns = tf.meshgrid(
            tf.range(height, dtype=tf.float32), tf.range(width, dtype=tf.float32), indexing="ij"
        )
        centre_row = (tf.cast(height, tf.float32) - 1) / 2
        centre_column = (tf.cast(width, tf.float32) - 1) / 2
        broader = tf.exp(uniform(np.log1p(self.aspect)))  # broader as likely as narrower
        x = (columns - centre_column) / broader + uniform(self.slant) * (rows - centre_row)
        y, x = rows, x + centre_column
        if self.elastic:
            moves = self.elastic * keras.random.normal(
                (count, self.GRID, self.GRID, 2), seed=self.generator
            )
            moves = tf.image.resize(moves, tf.stack([height, width]), method="bicubic")
            y, x = y + moves[..., 0], x + moves[..., 1]
        return tf.cast(_bilinear(images, y, x), images.dtype)

    def get_config(self) -> dict:
        style = {"slant": self.slant, "aspect": self.aspect, "elastic": self.elastic}
        return {**super().get_config(), **style, "seed": self.seed}


class RandomStrokeWidth(layers.Layer):
    """Strokes about a pixel thinner on each side (grey erosion with a plus-shaped
    neighbourhood) for a share ``rate`` of the images, as much thicker (dilation) for
    another: pens finer and bolder than MNIST's. Unchanged at inference."""

    def __init__(self, rate: float, seed: int | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.rate = rate
        self.seed = seed
        self.generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=False):
        if not training:
            return images
        padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]])
        neighbours = [padded[:, 1:-1, 1:-1], padded[:, :-2, 1:-1], padded[:, 2:, 1:-1]]
        neighbours += [padded[:, 1:-1, :-2], padded[:, 1:-1, 2:]]
        thinner, thicker = tf.reduce_min(neighbours, axis=0), tf.reduce_max(neighbours, axis=0)
        draw = keras.random.uniform((tf.shape(images)[0], 1, 1, 1), seed=self.generator)
        return tf.where(draw < self.rate, thinner, tf.where(draw < 2 * self.rate, thicker, images))

    def get_config(self) -> dict:
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


def _bilinear(images, rows, columns):
    """Images (N, H, W, 1) read at the points (N, H, W) ``rows``, ``columns``, bilinearly,
    black outside: four gathers from the flattened batch (cheaper than
    ``keras.ops.image.map_coordinates`` over a 3-D batch)."""
    shape = tf.shape(images)
    count, height, width = shape[0], shape[1], shape[2]
    flat = tf.reshape(tf.cast(images, tf.float32), [-1])
    top, left = tf.floor(rows), tf.floor(columns)
    down, right = rows - top, columns - left
    top, left = tf.cast(top, tf.int32), tf.cast(left, tf.int32)
    first = (tf.range(count) * height * width)[:, None, None]

    def at(row, column):
        inside = (row >= 0) & (row < height) & (column >= 0) & (column < width)
        index = first + tf.clip_by_value(row, 0, height - 1) * width
        index += tf.clip_by_value(column, 0, width - 1)
        return tf.where(inside, tf.gather(flat, index), 0.0)

    value = (1 - down) * ((1 - right) * at(top, left) + right * at(top, left + 1))
    value += down * ((1 - right) * at(top + 1, left) + right * at(top + 1, left + 1))
    return value[..., None]
