"""Project pipelines: one per stage, the training stages together as the default, and
`predict` for batch prediction with the registered champion (`predict_spark` on Spark)."""

from kedro.pipeline import Pipeline

from digit_pipeline.pipelines import (
    calibrate,
    evaluate,
    ingest,
    package,
    predict,
    predict_spark,
    preprocess,
    robustness,
    train,
    train_lines,
)


def register_pipelines() -> dict[str, Pipeline]:
    """Register the project's pipelines.

    Returns:
        A mapping from pipeline names to ``Pipeline`` objects.
    """
    pipelines = {
        "ingest": ingest.create_pipeline(),
        "preprocess": preprocess.create_pipeline(),
        "train": train.create_pipeline(),
        "train_lines": train_lines.create_pipeline(),
        "evaluate": evaluate.create_pipeline(),
        "robustness": robustness.create_pipeline(),
        "calibrate": calibrate.create_pipeline(),
        "package": package.create_pipeline(),
    }
    pipelines["__default__"] = sum(pipelines.values(), Pipeline([]))
    pipelines["predict"] = predict.create_pipeline()
    pipelines["predict_spark"] = predict_spark.create_pipeline()
    return pipelines
