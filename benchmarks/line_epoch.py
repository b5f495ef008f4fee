"""Seconds per epoch of the line model, per CPU kernels and precision, side by side.

    python benchmarks/line_epoch.py --steps 60
    python benchmarks/line_epoch.py --steps 60 --kernels oneDNN,AVX2 --precisions mixed_bfloat16,float32

Each row trains the line model of ``conf/base`` (``parameters_train_lines.yml``) for
``--steps`` steps on lines made on the fly, in a process of its own (``ONEDNN_MAX_CPU_ISA``
caps oneDNN, as on an AVX2 CPU: ``epoch_speed.py``), after a few steps of warm-up; the
epoch is ``steps_per_epoch`` of those steps. Rows run in turns, ``--rounds`` times.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from epoch_speed import kernel_environment  # noqa: E402

WARM_UP = 5


def measure(precision: str, steps: int) -> dict[str, float]:
    """In this process: seconds per training step (lines made on the fly included)."""
    import keras  # noqa: PLC0415
    from plain_keras import training_split  # noqa: PLC0415

    from digit_pipeline.parameters import TrainLinesParameters, TrainParameters  # noqa: PLC0415
    from digit_pipeline.project import load_conf  # noqa: PLC0415
    from digit_pipeline.training.cnn import build_cnn  # noqa: PLC0415
    from digit_pipeline.training.line_model import build_line_model, line_batches  # noqa: PLC0415
    from digit_pipeline.training.lines import LineMaker  # noqa: PLC0415

    conf = load_conf("parameters")
    params = TrainLinesParameters.from_conf(conf["train_lines"])
    params = params.model_copy(update={"precision": precision})
    X_train, y_train, _, _ = training_split()
    keras.utils.set_random_seed(params.seed)
    # The CNN's design as saved (its weights do not change the time of a step).
    cnn_params = TrainParameters.from_conf(conf["train"]).model_copy(
        update={"precision": "float32"}
    )
    model = build_line_model(params, build_cnn(cnn_params, for_training=False))
    maker = LineMaker(X_train, y_train, font_share=params.font_share)
    batches = iter(line_batches(maker, params.batch_size, WARM_UP + steps, params.seed))
    for _ in range(WARM_UP):
        model.train_on_batch(*next(batches))
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(*next(batches))
    step = (time.perf_counter() - start) / steps
    return {"step_s": step, "epoch_s": step * params.steps_per_epoch, "epochs": params.epochs}


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=60)
    parser.add_argument("--kernels", default="oneDNN,AVX2", help="oneDNN (native), AVX2, Eigen")
    parser.add_argument("--precisions", default="mixed_bfloat16,float32")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--row", help=argparse.SUPPRESS)
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    if args.row:
        print(json.dumps(measure(args.row, args.steps)))
        return
    from digit_pipeline.training import hardware  # noqa: PLC0415

    rows = [(k, p) for k in args.kernels.split(",") for p in args.precisions.split(",")]
    results: dict[tuple[str, str], list[dict]] = {row: [] for row in rows}
    for _ in range(args.rounds):
        for kernels, precision in rows:
            child = subprocess.run(
                [sys.executable, __file__, "--steps", str(args.steps), "--row", precision],
                env=kernel_environment(kernels), capture_output=True, text=True, cwd=ROOT,
                check=False,
            )  # fmt: skip
            if child.returncode:
                print(
                    f"{kernels} {precision} failed: {child.stderr.strip()[-300:]}", file=sys.stderr
                )
                continue
            results[kernels, precision].append(json.loads(child.stdout.strip().splitlines()[-1]))
    tags = hardware.describe(hardware.detect(), "-")
    print(f"CPU: {tags['cpu']}, {os.cpu_count()} cores; flags: {tags['cpu_flags']}")
    print("| kernels | precision | step ms | epoch s | all epochs, min |\n|---|---|---:|---:|---:|")
    for (kernels, precision), runs in results.items():
        if runs:
            step = min(run["step_s"] for run in runs)
            epoch = min(run["epoch_s"] for run in runs)
            total = epoch * runs[0]["epochs"] / 60
            print(f"| {kernels} | {precision} | {step * 1000:.0f} | {epoch:.0f} | {total:.1f} |")


if __name__ == "__main__":
    main()
