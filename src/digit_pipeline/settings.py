"""Project settings. See https://docs.kedro.org/en/stable/configure/configuration_basics/"""

from omegaconf.resolvers import oc

from digit_pipeline.hooks import (
    DatasetLineageHook,
    NodeTimingHook,
    RunNameHook,
    SparkHooks,
    TrackingLoginHook,
)

# A team server's login checked first; then each node's wall time, the run's name and the
# data splits it read, recorded in the MLflow run that kedro-mlflow's hook (registered
# through its entry point) opens; Spark's session and datasets for the pipeline that needs them.
HOOKS = (
    TrackingLoginHook(),
    NodeTimingHook(),
    RunNameHook(),
    DatasetLineageHook(),
    SparkHooks(),
)

CONFIG_LOADER_ARGS = {
    "base_env": "base",
    "default_run_env": "local",
    # `${oc.env:MLFLOW_TRACKING_URI,sqlite:///mlflow.db}` in mlflow.yml: the environment wins.
    "custom_resolvers": {"oc.env": oc.env},
    # An environment (e.g. `smoke`) overrides single keys of a parameter block, not the block.
    "merge_strategy": {"parameters": "soft"},
    # The Spark batch pipeline's session and datasets (conf/<env>/spark/), apart from the
    # catalog: hooks.SparkHooks reads them only for a run whose pipeline uses them.
    "config_patterns": {
        "spark": ["spark/session*"],
        "spark_datasets": ["spark/datasets*"],
    },
}
