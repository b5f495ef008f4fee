"""Framework overhead: the default training configuration as a plain Keras script
(`plain_keras.py`) and as `kedro run` with MLflow logging, one after the other, with
the ratio of their wall times, where the `kedro run` time went, node by node, and the
ratio with the training's run-to-run noise taken out.

    python benchmarks/framework_overhead.py     # from the project root, in the venv

`kedro run` is the real thing: it logs to the project's MLflow store and registers a
model version (the champion moves only if it is better). Each side runs in its own
process, imports included. Takes about twice a `kedro run`.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import mlflow
from mlflow import MlflowClient

from digit_pipeline.sweep import kedro_command, latest_run_since

ROOT = Path(__file__).resolve().parents[1]
# The nodes that do what the plain script does (ingest, split, train, test accuracy); the
# others (plots, robustness, calibration, registering) are work the script skips.
SAME_WORK = (
    "validate_train_split_node", "validate_test_split_node", "select_training_subset_node",
    "split_validation_node", "prepare_test_set_node", "train_model_node",
    "predict_probabilities_node", "compute_test_metrics_node",
)  # fmt: skip


def timed(command: list[str], output: list[str] | None = None) -> float:
    """Wall seconds of a command; its standard output shown, and kept in ``output``."""
    started = time.perf_counter()
    with subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        for line in process.stdout:
            print(line, end="", flush=True)
            if output is not None:
                output.append(line)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return time.perf_counter() - started


def main() -> None:
    plain_output: list[str] = []
    plain = timed([sys.executable, str(ROOT / "benchmarks" / "plain_keras.py")], plain_output)
    plain_training = float(
        next(line for line in plain_output if line.startswith("training:")).split()[1]
    )
    started = time.time()
    kedro = timed(kedro_command({}))

    mlflow.set_tracking_uri(
        os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{ROOT / 'mlflow.db'}")
    )
    run = latest_run_since(MlflowClient(), started)
    if run is None:
        raise SystemExit("the kedro run left no MLflow run in the digit-pipeline experiment")
    nodes = {
        name.removeprefix("node_seconds."): seconds
        for name, seconds in run.data.metrics.items()
        if name.startswith("node_seconds.")
    }
    same_work = sum(seconds for name, seconds in nodes.items() if name in SAME_WORK)
    print(f"\nkedro run {run.info.run_id}: test accuracy {run.data.metrics['test_accuracy']:.4f}")
    print("| node | seconds |\n|---|---:|")
    for name, seconds in sorted(nodes.items(), key=lambda item: -item[1]):
        print(f"| {name} | {seconds:.1f} |")
    print(
        f"| outside the nodes (start-up, loading and saving data, MLflow) | {kedro - sum(nodes.values()):.1f} |"
    )
    print(f"\nplain Keras script: {plain:.1f} s")
    print(f"kedro run:          {kedro:.1f} s ({kedro / 60:.1f} min)")
    print(f"ratio kedro run / plain Keras: {kedro / plain:.3f}")
    print(
        f"ratio without the work the plain script skips: "
        f"{(kedro - sum(nodes.values()) + same_work) / plain:.3f}"
    )
    # The training is the same code on both sides, and ~95% of either wall time: its
    # run-to-run noise on this machine (epochs of the same work take 24-44 s) is larger
    # than the framework's cost. Putting the plain script's training time in place of the
    # train node's shows what the framework adds.
    kedro_training = nodes["train_model_node"]
    print(
        f"training (build and fit): plain {plain_training:.1f} s, kedro run {kedro_training:.1f} s"
    )
    print(
        f"everything but training: plain {plain - plain_training:.1f} s, "
        f"kedro run {kedro - kedro_training:.1f} s"
    )
    print(
        f"ratio with the same training time on both sides: "
        f"{(kedro - kedro_training + plain_training) / plain:.3f}"
    )


if __name__ == "__main__":
    main()
