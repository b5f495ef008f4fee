"""How the CNN is trained: the input pipeline of batches, the learning-rate schedule, the
weights kept, the time each epoch takes."""

import time

import keras
import numpy as np
import tensorflow as tf

from digit_pipeline.parameters import TrainParameters


def batches(
    images: np.ndarray,
    labels: np.ndarray,
    batch_size: int,
    *,
    shuffle_seed: int | None = None,
    mixed_in: tuple[np.ndarray, np.ndarray] | None = None,
    share: float = 0.0,
) -> tf.data.Dataset:
    """The images and labels as a ``tf.data`` pipeline of batches for ``fit``, reshuffled
    every epoch when given a ``shuffle_seed``.

    ``mixed_in`` images and labels (a person's own digits) are drawn at random to make up
    ``share`` of the examples, repeated as often as it takes; an epoch ends with the
    main images.

    tf.data's autotuning is off: with it on (as in the pipeline Keras builds from NumPy
    arrays) each epoch could start only after a wait of up to a minute, at no CPU, for the
    previous epoch's tuned threads to stop. A prefetch of one batch is all that in-memory
    arrays need.
    """
    dataset = tf.data.Dataset.from_tensor_slices((images, labels))
    if shuffle_seed is not None:
        dataset = dataset.shuffle(len(labels), seed=shuffle_seed, reshuffle_each_iteration=True)
    if mixed_in is not None and len(mixed_in[1]) and share > 0:
        extra = tf.data.Dataset.from_tensor_slices(mixed_in).shuffle(
            len(mixed_in[1]), seed=shuffle_seed
        )
        dataset = tf.data.Dataset.sample_from_datasets(
            [dataset, extra.repeat()], weights=[1 - share, share], seed=shuffle_seed,
            stop_on_empty_dataset=True,
        )  # fmt: skip
    options = tf.data.Options()
    options.autotune.enabled = False
    return dataset.batch(batch_size).prefetch(1).with_options(options)


def training_callbacks(params: TrainParameters) -> list[keras.callbacks.Callback]:
    """How training is steered, by the validation split only.

    The learning rate starts at ``learning_rate`` and falls along half a cosine to near
    zero at the last of ``epochs`` (logged as ``learning_rate`` in the history). The
    weights of the epoch with the lowest validation loss are kept. Training stops early
    after ``early_stopping_patience`` epochs without a lower one; ``None`` trains all
    ``epochs`` (under the cosine the validation loss falls most in the last, slow
    epochs, which a stop at a plateau half-way would throw away).
    """
    epochs, patience = params.epochs, params.early_stopping_patience
    # Keras's cosine decay, stepped once per epoch.
    cosine = keras.optimizers.schedules.CosineDecay(params.learning_rate, decay_steps=epochs)
    return [
        keras.callbacks.LearningRateScheduler(lambda epoch, _: float(cosine(epoch))),
        keras.callbacks.EarlyStopping(
            monitor="val_loss",
            patience=epochs if patience is None else patience,
            restore_best_weights=True,
        ),
        EpochTimer(),
    ]


class EpochTimer(keras.callbacks.Callback):
    """Adds each epoch's wall seconds to its logs (so to the history): ``epoch_seconds``
    for the whole epoch with its validation, ``first_step_seconds`` for its first
    training step, where a slow start of the epoch would show."""

    def on_epoch_begin(self, epoch: int, logs=None) -> None:
        self._started = time.perf_counter()
        self._first_step = None

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        if self._first_step is None:
            self._first_step = time.perf_counter() - self._started

    def on_epoch_end(self, epoch: int, logs=None) -> None:
        if logs is not None:
            logs["epoch_seconds"] = time.perf_counter() - self._started
            logs["first_step_seconds"] = self._first_step or 0.0
