"""Random changes of the training images, as Keras layers in the model's graph: rotation,
zoom, shift, and pens finer and bolder than MNIST's. They pass images through unchanged at
inference."""

import keras
import tensorflow as tf
from keras import layers

from digit_pipeline.parameters import Augmentation


def augmentation_layers(params: Augmentation, seed: int, for_training: bool = True) -> keras.Layer:
    """Random rotation, zoom, shift and stroke width of batches of images, empty space
    filled black.

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
    if params.stroke_width and for_training:  # the saved model stays plain Keras
        augmentations.append(RandomStrokeWidth(params.stroke_width, seed=seed + 3))
    if not augmentations:
        return layers.Identity(name="augmentation")
    return keras.Sequential(augmentations, name="augmentation")


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
