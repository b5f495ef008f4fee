"""Each pipeline's parameters as a typed object, validated once by the pipeline's first
node (``<section>_parameters`` in the DAG), so that a missing, misspelt or out-of-range
value stops the run at its start with the key and the file that sets it.

The values themselves live in ``conf/base/parameters_<section>.yml``; an environment
(``conf/smoke``) may override single keys.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal, Self

from kedro.pipeline import Node
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from digit_pipeline.training.hardware import PRECISIONS

PositiveInt = Annotated[int, Field(ge=1)]
Fraction = Annotated[float, Field(gt=0, lt=1)]


class ParameterError(ValueError):
    """Parameters that cannot run: the message names each bad key and its file."""


class Parameters(BaseModel):
    """A pipeline's parameters: no key missing, none unknown, each of its type and range."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    section: ClassVar[str]

    @classmethod
    def from_conf(cls, raw: Mapping[str, Any]) -> Self:
        """Validate the ``params:<section>`` block of the conf.

        Raises:
            ParameterError: Naming ``section.key``, what is wrong, and the file.
        """
        where = cls.set_in()
        if not isinstance(raw, Mapping):
            raise ParameterError(f"{cls.section}: expected a block of keys, got {raw!r} {where}")
        try:
            return cls.model_validate(dict(raw))
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(map(str, (cls.section, *problem['loc'])))}: {_reason(problem)}"
                for problem in error.errors()
            )
            raise ParameterError(f"{problems} {where}") from None

    @classmethod
    def set_in(cls) -> str:
        """Where a section's values come from, for messages."""
        return (
            f"(set in conf/base/parameters_{cls.section}.yml, or the run environment's parameters)"
        )

    @classmethod
    def validation_node(cls) -> Node:
        """The pipeline's first node: ``params:<section>`` in, ``<section>_parameters`` out."""
        return Node(
            func=cls.for_run,
            inputs=f"params:{cls.section}",
            outputs=f"{cls.section}_parameters",
            name=f"validate_{cls.section}_parameters_node",
        )

    @classmethod
    def for_run(cls, raw: Mapping[str, Any]) -> Self:
        """``from_conf``, then the files it names (``check_files``): the validation node's,
        run from the project's root as `kedro run` is."""
        params = cls.from_conf(raw)
        params.check_files()
        return params

    def check_files(self) -> None:
        """Raise ``ParameterError`` for a file the parameters name that is not there."""


def _reason(problem: dict[str, Any]) -> str:
    if problem["type"] == "missing":
        return "missing"
    if problem["type"] == "extra_forbidden":
        return "unknown key (misspelt?)"
    return f"{problem['msg']}, got {problem['input']!r}"


class IngestParameters(Parameters):
    section = "ingest"
    samples_per_class: PositiveInt


class PreprocessParameters(Parameters):
    section = "preprocess"
    seed: int
    train_subset: Annotated[int, Field(ge=20)] | None  # 2 per digit at least; null = all
    validation_size: Fraction
    own_digits_test_share: Fraction  # of the own digits, held out to measure on


class Augmentation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rotation_degrees: Annotated[float, Field(ge=0, le=180)]
    zoom: Annotated[float, Field(ge=0, lt=1)]
    shift: Annotated[float, Field(ge=0, lt=1)]
    stroke_width: Annotated[float, Field(ge=0, le=0.5)]
    slant: Annotated[float, Field(ge=0, le=1)] = 0.0
    aspect: Annotated[float, Field(ge=0, lt=1)] = 0.0
    elastic: Annotated[float, Field(ge=0, le=5)] = 0.0  # pixels


class TrainParameters(Parameters):
    section = "train"
    seed: int
    conv_blocks: Annotated[
        list[Annotated[list[PositiveInt], Field(min_length=1)]], Field(min_length=1)
    ]
    kernel_size: PositiveInt
    dense_units: PositiveInt
    dropout: Annotated[float, Field(ge=0, lt=1)]
    precision: Literal["auto", *PRECISIONS]
    augmentation: Augmentation
    learning_rate: Annotated[float, Field(gt=0)]
    batch_size: PositiveInt
    epochs: PositiveInt
    early_stopping_patience: PositiveInt | None
    verbose: Literal[0, 1, 2]
    own_digits_share: Annotated[float, Field(ge=0, lt=1)]  # of each batch; 0 = not taught
    everyday_forms: Annotated[float, Field(ge=0, le=1)] = 0.0  # of the 7s and the 1s


class TrainLinesParameters(Parameters):
    section = "train_lines"
    seed: int
    frozen_blocks: Annotated[int, Field(ge=0, le=2)]
    recurrent_units: PositiveInt
    dropout: Annotated[float, Field(ge=0, lt=1)]
    precision: Literal["auto", *PRECISIONS]
    learning_rate: Annotated[float, Field(gt=0)]
    batch_size: PositiveInt
    epochs: PositiveInt
    steps_per_epoch: PositiveInt
    validation_lines: PositiveInt
    font_share: Annotated[float, Field(ge=0, le=1)]
    own_digits_share: Annotated[float, Field(ge=0, le=1)]
    verbose: Literal[0, 1, 2]
    initial_model: str | None = None  # a saved line model whose weights training starts from

    def check_files(self) -> None:
        """The line model to start from is there: found missing after the CNN's training,
        the run would have lost it."""
        if self.initial_model and not Path(self.initial_model).is_file():
            raise ParameterError(
                f"train_lines.initial_model: no file {self.initial_model} in {Path.cwd()} "
                f"{self.set_in()}"
            )


class EvaluateParameters(Parameters):
    section = "evaluate"
    misclassified_to_show: Annotated[int, Field(ge=0)]
    misclassified_columns: PositiveInt


class SplitParameters(Parameters):
    """A split the evaluate pipeline measures, one per namespace (``params:<namespace>.split``):
    what its metrics are called (``<name>_accuracy``) and its figures say they show."""

    section = "split"
    name: Annotated[str, Field(pattern=r"^[a-z]+$")]
    digits: Annotated[str, Field(min_length=1)]


class RobustnessParameters(Parameters):
    section = "robustness"
    sample: PositiveInt | None  # the first `sample` test digits; null = all
    example_index: Annotated[int, Field(ge=0)]
    seed: int


class PackageParameters(Parameters):
    section = "package"
    registered_model_name: Annotated[str, Field(min_length=1)]
    champion_alias: Annotated[str, Field(min_length=1)]
    min_test_accuracy: Annotated[float, Field(ge=0, le=1)]
    mnist_tolerance: Annotated[float, Field(ge=0, lt=1)]
    # A version whose line model reads fewer validation lines exactly is never champion.
    min_line_exact: Annotated[float, Field(ge=0, le=1)] = 0.5


class PredictSparkParameters(Parameters):
    section = "predict_spark"
    model_uri: Annotated[str, Field(min_length=1)]
