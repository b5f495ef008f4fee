"""Where one training epoch's time goes, with the default configuration (conf/base).

Each part is timed over one whole epoch of the 54,000 training images, in this order:
the input pipeline alone (Keras iterating the arrays in shuffled batches), the
augmentation alone, the forward pass alone, a training epoch with augmentation turned
off (forward and backward), a full training epoch, and the validation pass.

    python benchmarks/training_profile.py     # from the project root, in the venv
    python benchmarks/training_profile.py --env smoke    # the smoke run's ~1,800 images
"""

import argparse
import time

import keras
import tensorflow as tf
from plain_keras import ENV_HELP, training_parameters, training_split  # the same configuration

from digit_pipeline.parameters import Augmentation
from digit_pipeline.training.cnn import build_cnn


def seconds(work) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--env", help=ENV_HELP)
    return parser


def main() -> None:
    env = argument_parser().parse_args().env
    params = training_parameters(env)
    X_train, y_train, X_val, y_val = training_split(env)
    batch_size = params.batch_size
    keras.utils.set_random_seed(params.seed)

    model = build_cnn(params)
    off = Augmentation(rotation_degrees=0, zoom=0, shift=0, stroke_width=0)  # all of it off
    no_augmentation = build_cnn(params.model_copy(update={"augmentation": off}))
    augment = tf.function(lambda batch: model.get_layer("augmentation")(batch, training=True))
    forward = tf.function(lambda batch: model(batch, training=False))
    batches = (
        tf.data.Dataset.from_tensor_slices((X_train, y_train))
        .shuffle(len(y_train), seed=params.seed)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )

    def each_batch(step):
        def run():
            for images_batch, _ in batches:
                step(images_batch)

        return run

    def fit(network):
        return lambda: network.fit(X_train, y_train, batch_size=batch_size, epochs=1, verbose=0)

    # Warm up: trace every function once, so that no part pays for building its graph.
    for step in (augment, forward):
        step(X_train[:batch_size])
    for network in (model, no_augmentation):
        network.fit(X_train[:batch_size], y_train[:batch_size], epochs=1, verbose=0)
    model.evaluate(X_val[:batch_size], y_val[:batch_size], verbose=0)

    validation = f"validation pass ({len(y_val):,} images)"
    parts = {
        "input pipeline (shuffled batches, nothing done with them)": seconds(
            each_batch(lambda batch: None)
        ),
        "augmentation alone": seconds(each_batch(augment)),
        "forward pass alone": seconds(each_batch(forward)),
        "training without augmentation (forward + backward)": seconds(fit(no_augmentation)),
        "training with augmentation (what an epoch costs)": seconds(fit(model)),
        validation: seconds(lambda: model.evaluate(X_val, y_val, batch_size=batch_size, verbose=0)),
    }
    print(
        f"One epoch of {len(y_train):,} images, batch {batch_size}, blocks {params.conv_blocks}, {params.precision}:"
    )
    print("| part | seconds |\n|---|---:|")
    for name, value in parts.items():
        print(f"| {name} | {value:.1f} |")
    total = parts["training with augmentation (what an epoch costs)"]
    print(
        f"\nepochs {params.epochs} × ({total:.1f} + validation) ≈ "
        f"{params.epochs * (total + parts[validation]) / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
