"""Nodes of the robustness pipeline: how the model reads test digits that are shifted,
scaled, rotated, inverted, thickened or noisy (``digit_pipeline.robustness``), given to it
as they are and through the project's image preparation."""

import keras
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from digit_pipeline.parameters import RobustnessParameters
from digit_pipeline.training.cnn import class_probabilities
from digit_pipeline.training.perturbations import frame_each, perturbations


def robustness_report(
    model: keras.Model,
    X_test: np.ndarray,
    y_test: np.ndarray,
    params: RobustnessParameters,
) -> pd.DataFrame:
    """Test accuracy under each perturbation of ``digit_pipeline.training.perturbations``, with the
    perturbed 28x28 image given to the model as it is (``raw``) and with the project's
    image preparation applied first (``preprocessed``, as for an uploaded image).

    Args:
        params: ``sample`` (the first n test images; null for all), ``seed`` (of the
            noise).

    Returns:
        One row per perturbation: ``accuracy_raw``, ``accuracy_preprocessed``, and
        ``not_framed``, the share of images in which the image preparation found no digit
        (counted as wrong).
    """
    images, labels = (
        X_test[: params.sample, ..., 0],
        y_test[: params.sample],
    )
    perturbed = {name: perturb(images) for name, perturb in perturbations(params.seed).items()}
    framed, found = zip(*(frame_each(stack) for stack in perturbed.values()), strict=True)
    # One predict call for every stack: each call has a fixed cost.
    stacks = np.concatenate([*perturbed.values(), *framed])[..., np.newaxis]
    predicted = class_probabilities(model, stacks).argmax(axis=1)
    predicted = predicted.reshape(2, len(perturbed), len(labels))
    return pd.DataFrame(
        {
            "accuracy_raw": np.mean(predicted[0] == labels, axis=1),
            "accuracy_preprocessed": np.mean((predicted[1] == labels) & found, axis=1),
            "not_framed": np.mean(~np.array(found), axis=1),
        },
        index=pd.Index(list(perturbed), name="perturbation"),
    )


def plot_robustness(
    report: pd.DataFrame, X_test: np.ndarray, params: RobustnessParameters
) -> Figure:
    """Bars of the robustness report, and one test digit under every perturbation, as the
    model sees it raw and after the image preparation."""
    figure = Figure(figsize=(12, 9), layout="constrained")
    bars_area, examples_area = figure.subfigures(2, 1, height_ratios=[3, 1.4])
    ax = bars_area.subplots()
    positions = np.arange(len(report))
    ax.barh(positions - 0.2, report["accuracy_raw"], height=0.4, label="raw 28×28 input")
    ax.barh(
        positions + 0.2,
        report["accuracy_preprocessed"],
        height=0.4,
        label="project's image preparation first",
    )
    for position, (raw, preprocessed) in enumerate(
        report[["accuracy_raw", "accuracy_preprocessed"]].to_numpy()
    ):
        ax.text(raw, position - 0.2, f" {raw:.1%}", va="center", fontsize=8)
        ax.text(preprocessed, position + 0.2, f" {preprocessed:.1%}", va="center", fontsize=8)
    ax.set_yticks(positions, report.index)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.12)
    ax.set_xlabel("test accuracy")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", alpha=0.3)
    ax.set_title(f"Robustness: accuracy on {params.sample} perturbed test digits")

    example = X_test[params.example_index, :, :, 0][np.newaxis]
    raw = [perturb(example)[0] for perturb in perturbations(params.seed).values()]
    framed = [frame_each(image[np.newaxis])[0][0] for image in raw]
    axes = examples_area.subplots(2, len(raw))
    for column, name in enumerate(report.index):
        for row, image in enumerate((raw[column], framed[column])):
            axes[row, column].imshow(image, cmap="gray", vmin=0, vmax=1)
            axes[row, column].set_xticks([])
            axes[row, column].set_yticks([])
        axes[0, column].set_title(name, fontsize=7)
    axes[0, 0].set_ylabel("raw", fontsize=8)
    axes[1, 0].set_ylabel("preprocessed", fontsize=8)
    return figure
