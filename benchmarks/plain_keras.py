"""The default training configuration as a plain Keras script: no Kedro, no MLflow.

The baseline of `framework_overhead.py`. It does what the pipeline does to get a trained
model and its test accuracy, with the same parameters (conf/base) and the same model
code: read the MNIST files, scale, split off the validation set, train, evaluate.

    python benchmarks/plain_keras.py        # from the project root, in the venv
    python benchmarks/plain_keras.py --epochs 2     # shorter, for framework_overhead's noise floor
    python benchmarks/plain_keras.py --env smoke    # the smoke run's parameters: a quick check
"""

import argparse
import tempfile
import time
from pathlib import Path
from typing import TypeVar

import keras
import numpy as np

from digit_pipeline.datasets.idx import IDXDataset
from digit_pipeline.parameters import Parameters, PreprocessParameters, TrainParameters
from digit_pipeline.pipelines.preprocess.nodes import (
    prepare_test_set,
    select_training_subset,
    split_validation,
)
from digit_pipeline.project import load_conf
from digit_pipeline.training import hardware
from digit_pipeline.training.cnn import build_cnn, portable_copy
from digit_pipeline.training.fit import batches, training_callbacks

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "01_raw" / "mnist"
P = TypeVar("P", bound=Parameters)
# The --env of the training benchmarks: a Kedro environment over conf/base, as `kedro run
# --env` reads it (`smoke`: ~2,000 training images and one epoch, to check a script runs).
ENV_HELP = "Kedro environment whose parameters override conf/base's (smoke: a quick check)"


def parameters(kind: type[P], env: str | None = None) -> P:
    """A pipeline's parameters from conf/base (and ``env``), validated as its first node
    does."""
    return kind.from_conf(load_conf("parameters", env=env, root=ROOT)[kind.section])


def training_parameters(env: str | None = None) -> dict:
    """The train parameters, the precision resolved for this machine as the train node
    resolves it."""
    train = parameters(TrainParameters, env)
    precision = hardware.resolve_precision(train.precision, hardware.detect())
    return train.model_copy(update={"precision": precision})


def read_mnist(name: str):
    """One of the four MNIST files of data/01_raw, validated as the catalog does."""
    return IDXDataset(str(RAW / f"{name}.gz")).load()


def training_split(env: str | None = None) -> tuple:
    """X_train, y_train, X_val, y_val, as the preprocess pipeline makes them."""
    params = parameters(PreprocessParameters, env)
    images, labels = select_training_subset(
        read_mnist("train-images-idx3-ubyte"), read_mnist("train-labels-idx1-ubyte"), params
    )
    return split_validation(images, labels, params)


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, help="epochs to train (default: the parameters')")
    parser.add_argument("--env", help=ENV_HELP)
    return parser


def main() -> None:
    started = time.perf_counter()
    args = argument_parser().parse_args()
    train = training_parameters(args.env)
    epochs = args.epochs or train.epochs
    X_train, y_train, X_val, y_val = training_split(args.env)
    X_test, y_test = prepare_test_set(
        read_mnist("t10k-images-idx3-ubyte"), read_mnist("t10k-labels-idx1-ubyte")
    )
    training_started = time.perf_counter()
    keras.utils.set_random_seed(train.seed)
    model = build_cnn(train)
    model.fit(
        batches(X_train, y_train, train.batch_size, shuffle_seed=train.seed),
        validation_data=batches(X_val, y_val, train.batch_size), shuffle=False,
        epochs=epochs, callbacks=training_callbacks(train), verbose=2,
    )  # fmt: skip
    model = portable_copy(model, train)  # as the pipeline's train node returns it
    training = time.perf_counter() - training_started
    accuracy = float(np.mean(model.predict(X_test, verbose=0).argmax(axis=1) == y_test))
    with tempfile.TemporaryDirectory() as folder:
        model.save(Path(folder) / "digit_cnn.keras")
    print(f"test accuracy {accuracy:.4f}")
    print(f"training: {training:.1f} s")  # what the pipeline's train node does
    print(f"plain Keras: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
