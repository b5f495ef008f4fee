"""Which of the writers' styles in training (issue #28) help other hands, and what they cost
MNIST: a short run of the default recipe per setting, then its validation accuracy and
loss, and the accuracy on each generated hand's held-out digits (``writer.HANDS``, the
same 1,000 per hand as ``own_writer.py``: made from the validation split).

    python benchmarks/style_ablation.py                        # the settings below
    python benchmarks/style_ablation.py --epochs 4 --setting "slant 0.5, aspect 0.3"

Each setting is added to conf/base's train parameters. Tune on these figures only: MNIST's
test digits stay for the final measurement (`kedro run`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from digit_pipeline.generators.writer import HANDS
from digit_pipeline.parameters import TrainParameters
from digit_pipeline.pipelines.train.nodes import train_model
from digit_pipeline.training.cnn import class_probabilities

sys.path.insert(0, str(Path(__file__).resolve().parent))
from own_writer import writer_digits  # noqa: E402
from plain_keras import ENV_HELP, parameters, training_split  # noqa: E402

# Each: the augmentation keys and `everyday_forms` it sets.
SETTINGS = {
    "the default": {},
    "slant 0.3": {"slant": 0.3},
    "aspect 0.25": {"aspect": 0.25},
    "elastic 1.0": {"elastic": 1.0},
    "elastic 0.5": {"elastic": 0.5},
    "forms 0.3": {"everyday_forms": 0.3},
    "forms 0.1": {"everyday_forms": 0.1},
    "slant 0.3, aspect 0.25": {"slant": 0.3, "aspect": 0.25},
    "slant 0.5, aspect 0.3": {"slant": 0.5, "aspect": 0.3},
    "slant 0.3, aspect 0.25, forms 0.1": {"slant": 0.3, "aspect": 0.25, "everyday_forms": 0.1},
    "slant 0.3, aspect 0.25, elastic 0.3": {"slant": 0.3, "aspect": 0.25, "elastic": 0.3},
    "slant 0.3, aspect 0.25, elastic 0.5, forms 0.1": {
        "slant": 0.3,
        "aspect": 0.25,
        "elastic": 0.5,
        "everyday_forms": 0.1,
    },
}


def with_setting(base: TrainParameters, setting: dict, epochs: int) -> TrainParameters:
    style = {key: value for key, value in setting.items() if key != "everyday_forms"}
    return base.model_copy(
        update={
            "augmentation": base.augmentation.model_copy(update=style),
            "everyday_forms": setting.get("everyday_forms", base.everyday_forms),
            "epochs": epochs,
            "verbose": 0,
        }
    )


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--setting", choices=list(SETTINGS), action="append")
    parser.add_argument("--env", help=f"of the training runs: {ENV_HELP}")
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    X_train, y_train, X_val, y_val = training_split(args.env)
    hands = {name: writer_digits(20, 1000, hand)[2:] for name, hand in HANDS.items()}
    base = parameters(TrainParameters, args.env)
    print(f"| added ({args.epochs} epochs) | val acc | val loss | " + " | ".join(hands) + " |")
    print("|---|---:|---:|" + "---:|" * len(hands))
    for name in args.setting or SETTINGS:
        params = with_setting(base, SETTINGS[name], args.epochs)
        model, history, _ = train_model(X_train, y_train, X_val, y_val, params)
        read = [
            np.mean(class_probabilities(model, X).argmax(axis=1) == y) for X, y in hands.values()
        ]
        print(
            f"| {name} | {history['val_accuracy'].iloc[-1]:.4f} | {history['val_loss'].iloc[-1]:.3f} | "
            + " | ".join(f"{accuracy:.1%}" for accuracy in read)
            + " |",
            flush=True,
        )


if __name__ == "__main__":
    main()
