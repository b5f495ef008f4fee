"""The optional extras: each is declared in pyproject.toml and installed by `make test`; a
missing one stops its command in one line that names the install; the Spark pipeline's
datasets stay out of every other run's catalog. (That the core install alone runs the main
job, and what each optional command answers there, is CI's core stage: .ci/core_stage.py.)"""

import tomllib

import pytest
from kedro.framework.project import pipelines
from kedro.framework.session import KedroSession

from digit_pipeline import extras
from digit_pipeline.hooks import SparkHooks
from digit_pipeline.project import load_conf
from digit_pipeline.testing.project import PROJECT_ROOT, copy_project, in_project

SPARK_DATASETS = {"images_spark", "digit_predictions_spark"}


def test_every_extra_is_declared_in_pyproject():
    declared = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    assert set(extras.EXTRAS) <= set(declared)
    assert all(extras.EXTRAS.values())


@pytest.mark.parametrize("extra", list(extras.EXTRAS))
def test_make_test_installs_each_extra(extra):
    assert extras.missing_modules(extra) == []
    extras.require(extra, "this test")  # does not raise


def test_a_missing_extra_stops_in_one_line_that_names_the_install(monkeypatch):
    monkeypatch.setitem(extras.EXTRAS, "imaginary", ("no_module_of_this_name",))
    with pytest.raises(extras.MissingExtra) as raised:
        extras.require("imaginary", "digit-pipeline imagine")
    assert raised.value.message == (
        "digit-pipeline imagine needs the imaginary extra (no_module_of_this_name not "
        'installed): pip install -e ".[imaginary]"'
    )


@pytest.mark.parametrize("env", [None, "smoke"])  # conf/base alone, and with smoke
def test_the_catalog_holds_no_spark_dataset(env):
    catalog = load_conf("catalog", env=env)
    assert not {name for name, entry in catalog.items() if "spark" in str(entry.get("type"))}
    assert set(load_conf("spark_datasets", env=env)) == SPARK_DATASETS


def test_a_run_builds_the_spark_datasets_only_for_their_pipeline(tmp_path):
    from pyspark.sql import SparkSession  # noqa: PLC0415

    project = copy_project(tmp_path)
    session_before = SparkSession.getActiveSession()  # another test's, or none
    with in_project(project), KedroSession.create(project_path=project, env="smoke") as session:
        context = session.load_context()
        hooks = SparkHooks()
        hooks.after_context_created(context)
        for name in ("__default__", "predict"):
            catalog = context.catalog
            hooks.before_pipeline_run({"pipeline_names": [name]}, pipelines[name], catalog)
            assert not SPARK_DATASETS & set(catalog.keys())
    assert SparkSession.getActiveSession() is session_before  # no session made
