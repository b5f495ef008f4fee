"""Each pipeline's parameters, validated from conf/ as its first node does."""

import pytest

from digit_pipeline.parameters import (
    EvaluateParameters,
    IngestParameters,
    PackageParameters,
    ParameterError,
    Parameters,
    PredictSparkParameters,
    PreprocessParameters,
    RobustnessParameters,
    SplitParameters,
    TrainLinesParameters,
    TrainParameters,
)
from digit_pipeline.pipeline_registry import register_pipelines
from digit_pipeline.project import load_conf
from digit_pipeline.testing.project import PROJECT_ROOT

KINDS = [
    IngestParameters,
    PreprocessParameters,
    TrainParameters,
    TrainLinesParameters,
    EvaluateParameters,
    RobustnessParameters,
    PackageParameters,
    PredictSparkParameters,
]


# The namespaces of the evaluate pipeline, each with its split's parameters.
EVALUATED = ("test", "own")


@pytest.mark.parametrize("env", ["local", "smoke"])
def test_every_section_of_the_conf_is_valid_and_typed(env):
    conf = load_conf("parameters", env=env, root=PROJECT_ROOT)
    # Each pipeline's section, and a block for each namespace of the evaluate pipeline.
    assert set(conf) == {kind.section for kind in KINDS} | set(EVALUATED)
    for kind in KINDS:
        assert isinstance(kind.from_conf(conf[kind.section]), kind)
    for namespace in EVALUATED:
        assert SplitParameters.from_conf(conf[namespace]["split"]).name == namespace


def test_each_pipeline_validates_its_own_parameters_first():
    pipelines = register_pipelines()
    for kind in KINDS:
        pipeline = pipelines[kind.section]
        (validate,) = pipeline.only_nodes_with_inputs(f"params:{kind.section}").nodes
        assert validate.outputs == [f"{kind.section}_parameters"]
        # No other node reads raw parameters (but a namespace's own validation node): every
        # other one gets a typed object.
        others = [node for node in pipeline.nodes if node is not validate]
        assert all(
            not name.startswith("params:") or node.func == SplitParameters.for_run
            for node in others
            for name in node.inputs
        )
        assert any(f"{kind.section}_parameters" in node.inputs for node in others)


@pytest.fixture
def train() -> dict:
    return load_conf("parameters", root=PROJECT_ROOT)["train"]


def test_values_are_typed(train):
    params = TrainParameters.from_conf({**train, "learning_rate": "1e-3"})  # as a CLI gives it
    assert params.learning_rate == 0.001
    assert params.augmentation.zoom == train["augmentation"]["zoom"]
    with pytest.raises(Exception, match="frozen"):
        params.epochs = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"epochs": 0}, r"train\.epochs: Input should be greater than or equal to 1, got 0"),
        ({"learnign_rate": 0.1}, r"train\.learnign_rate: unknown key \(misspelt\?\)"),
        ({"dropout": 1.0}, r"train\.dropout: Input should be less than 1, got 1\.0"),
        ({"conv_blocks": []}, r"train\.conv_blocks: .*at least 1 item"),
        ({"conv_blocks": [[8], []]}, r"train\.conv_blocks\.1: .*at least 1 item"),
        ({"precision": "half"}, r"train\.precision: Input should be 'auto', 'float32'"),
        ({"augmentation": {"zoom": 0.1}}, r"train\.augmentation\.rotation_degrees: missing"),
        ({"batch_size": "many"}, r"train\.batch_size: Input should be a valid integer"),
    ],
)
def test_a_bad_value_is_named_with_its_key_and_file(train, change, message):
    with pytest.raises(ParameterError, match=message) as error:
        TrainParameters.from_conf({**train, **change})
    assert "conf/base/parameters_train.yml" in str(error.value)


def test_a_missing_key_is_named(train):
    del train["seed"]
    with pytest.raises(ParameterError, match=r"^train\.seed: missing"):
        TrainParameters.from_conf(train)


@pytest.mark.parametrize(
    "kind, change, key",
    [
        (PreprocessParameters, {"validation_size": 1.5}, "preprocess.validation_size"),
        (PreprocessParameters, {"train_subset": 5}, "preprocess.train_subset"),
        (EvaluateParameters, {"misclassified_columns": 0}, "evaluate.misclassified_columns"),
        (RobustnessParameters, {"sample": -1}, "robustness.sample"),
        (PackageParameters, {"min_test_accuracy": 99}, "package.min_test_accuracy"),
        (IngestParameters, {"samples_per_class": 0}, "ingest.samples_per_class"),
    ],
)
def test_every_pipeline_checks_its_ranges(kind: type[Parameters], change, key):
    conf = load_conf("parameters", root=PROJECT_ROOT)[kind.section]
    with pytest.raises(ParameterError, match=rf"^{key}: .*parameters_{kind.section}\.yml"):
        kind.from_conf({**conf, **change})


def test_a_run_stops_at_its_start_for_a_line_model_to_start_from_that_is_not_there(
    tmp_path, monkeypatch
):
    conf = load_conf("parameters", root=PROJECT_ROOT)["train_lines"]
    monkeypatch.chdir(PROJECT_ROOT)  # as `kedro run` runs
    assert TrainLinesParameters.for_run(conf).initial_model == conf["initial_model"]
    missing = {**conf, "initial_model": str(tmp_path / "gone.keras")}
    assert TrainLinesParameters.from_conf(missing)  # its type and range are fine
    with pytest.raises(ParameterError, match=r"^train_lines\.initial_model: no file .*gone"):
        TrainLinesParameters.for_run(missing)


def test_a_section_that_is_not_a_block_is_named():
    with pytest.raises(ParameterError, match=r"^evaluate: expected a block of keys, got None"):
        EvaluateParameters.from_conf(None)
