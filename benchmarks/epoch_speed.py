"""Seconds per training epoch of the default CNN, for each precision and set of CPU kernels
this machine offers, beside the network's FLOPs and the machine's measured peak.

    python benchmarks/epoch_speed.py                      # every row this CPU can run
    python benchmarks/epoch_speed.py --kernels AVX2,Eigen --precisions float32 \\
        --config default='{}' --config narrow='{"conv_blocks": [[16, 16], [32, 32]]}'

Kernels, one fresh process per row (TensorFlow reads these settings once, at start):
- ``oneDNN`` with no cap: TensorFlow's oneDNN kernels with every instruction the CPU has;
- ``AVX2``, ``AVX512_CORE``, ...: the same kernels capped with ``ONEDNN_MAX_CPU_ISA`` (an
  AVX-512 machine standing in for an AVX2 one);
- ``Eigen``: ``TF_ENABLE_ONEDNN_OPTS=0``, TensorFlow's own kernels: what TensorFlow uses by
  default on a CPU without AVX512_VNNI, AVX512_BF16 or AMX (digit_pipeline turns oneDNN on).

A row's epoch is the median training step (``train_on_batch`` on real digits, after a
warm-up) times the steps of an epoch of 54,000 images, plus one validation pass of 6,000.
bfloat16 without a native path is measured on a few steps only (~1.5 s each). FLOPs are
counted from the network's layers (``multiply_adds``; a training step
is 3x the forward pass); the peak is the FLOP/s of a 2048x2048 matrix product in the same
kernels and precision, what this machine really reaches. Rows run in ``--rounds`` rounds, in
a random order each, and the median is printed: a slow spell of the machine falls on all.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

import keras
import tensorflow as tf
from plain_keras import parameters, training_split

from digit_pipeline.parameters import TrainParameters
from digit_pipeline.training import hardware
from digit_pipeline.training.cnn import build_cnn

ROOT = Path(__file__).resolve().parent
TRAIN_IMAGES = 54_000
EMULATED_BFLOAT16_STEPS = 4
ISAS = (  # oneDNN's name, the /proc/cpuinfo flags it needs
    ("AVX2", {"avx2", "fma"}),
    ("AVX512_CORE", {"avx512f", "avx512bw", "avx512vl", "avx512dq"}),
    ("AVX512_CORE_BF16", {"avx512_bf16"}),
    ("AVX512_CORE_AMX", {"amx_bf16"}),
)


def multiply_adds(model: keras.Model) -> int:
    """Multiply-adds of one image's forward pass through the convolutions and dense layers
    (the rest, batch norm, ReLU and the like, is a few per value: negligible beside them).
    A training step costs about three times this per image: forward, and backward to the
    inputs and to the weights."""
    total = 0
    for layer in _all_layers(model):
        if isinstance(layer, keras.layers.Conv2D):
            kernel_height, kernel_width, channels_in, channels_out = layer.kernel.shape
            _, height, width, _ = layer.output.shape
            total += height * width * channels_out * kernel_height * kernel_width * channels_in
        elif isinstance(layer, keras.layers.Dense):
            total += layer.kernel.shape[0] * layer.kernel.shape[1]
    return total


def _all_layers(model: keras.Model):
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            yield from _all_layers(layer)
        else:
            yield layer


def available_kernels(flags: frozenset[str]) -> list[str]:
    """oneDNN uncapped, capped at each lower ISA the CPU has, and Eigen."""
    isas = [name for name, needed in ISAS if needed <= flags]
    return ["oneDNN", *isas[:-1][::-1], "Eigen"]


def kernel_environment(kernels: str) -> dict[str, str]:
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    environment.pop("ONEDNN_MAX_CPU_ISA", None)
    if kernels == "Eigen":
        environment["TF_ENABLE_ONEDNN_OPTS"] = "0"
    else:
        environment["TF_ENABLE_ONEDNN_OPTS"] = "1"
        if kernels != "oneDNN":
            environment["ONEDNN_MAX_CPU_ISA"] = kernels
    return environment


def measure(precision: str, config: dict, steps: int) -> dict:
    """In this process: one row's figures."""
    config = dict(config)
    intra, inter = config.pop("threads", (0, 0))
    tf.config.threading.set_intra_op_parallelism_threads(intra)
    tf.config.threading.set_inter_op_parallelism_threads(inter)
    jit = config.pop("jit_compile", False)
    params = parameters(TrainParameters).model_copy(update={**config, "precision": precision})

    X_train, y_train, X_val, y_val = training_split()
    batch = params.batch_size
    keras.utils.set_random_seed(params.seed)
    model = build_cnn(params)
    model.compile(optimizer=model.optimizer, loss=model.loss, jit_compile=jit)
    if not hardware.detect().native_bfloat16_cpu and precision != "float32":
        steps = min(steps, EMULATED_BFLOAT16_STEPS)
    step_times = []
    for step in range(steps + 2):  # two warm-up steps
        start = step * batch % (len(y_train) - batch)
        started = time.perf_counter()
        model.train_on_batch(X_train[start : start + batch], y_train[start : start + batch])
        step_times.append(time.perf_counter() - started)
    model.evaluate(X_val[:batch], y_val[:batch], batch_size=batch, verbose=0)
    started = time.perf_counter()
    model.evaluate(X_val, y_val, batch_size=batch, verbose=0)
    validation = time.perf_counter() - started

    dtype = tf.bfloat16 if precision == "mixed_bfloat16" else tf.float32
    a = tf.cast(tf.random.normal((2048, 2048)), dtype)
    product = tf.function(lambda: tf.linalg.matmul(a, a))
    product().numpy()
    started = time.perf_counter()
    for _ in range(5):
        product().numpy()
    matmul_flops = 5 * 2 * 2048**3 / (time.perf_counter() - started)

    step = statistics.median(step_times[2:])
    macs = multiply_adds(model)
    return {
        "step_s": step,
        "epoch_s": step * -(-TRAIN_IMAGES // batch) + validation,
        "train_flops_per_s": 3 * 2 * macs * batch / step,
        "matmul_flops_per_s": matmul_flops,
        "multiply_adds": macs,
    }


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", help="comma-separated, e.g. oneDNN,AVX2,Eigen (default: all)")
    parser.add_argument("--precisions", default="float32,mixed_bfloat16")
    parser.add_argument(
        "--config",
        action="append",
        metavar="NAME=JSON",
        help="train parameters to override, plus 'threads': [intra, inter] and 'jit_compile'",
    )
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per row")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--row", help=argparse.SUPPRESS)  # a child process: one row
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    if args.row:
        precision, config = json.loads(args.row)
        print(json.dumps(measure(precision, config, args.steps)))
        return

    machine = hardware.detect()
    kernels = args.kernels.split(",") if args.kernels else available_kernels(machine.cpu_flags)
    configs = dict(spec.split("=", 1) for spec in args.config or ["default={}"])
    rows = [
        (kernel, precision, name)
        for name in configs
        for kernel in kernels
        for precision in args.precisions.split(",")
    ]
    results: dict[tuple, list[dict]] = {row: [] for row in rows}
    for round_number in range(args.rounds):
        for row in random.sample(rows, len(rows)):
            kernel, precision, name = row
            child = subprocess.run(
                [sys.executable, __file__, "--steps", str(args.steps),
                 "--row", json.dumps([precision, json.loads(configs[name])])],
                env=kernel_environment(kernel), capture_output=True, text=True, cwd=ROOT, check=False,
            )  # fmt: skip
            if child.returncode:
                failure = child.stderr.strip().splitlines()[-1][:80]
                print(f"round {round_number + 1}: {row} failed: {failure}", file=sys.stderr)
                continue
            results[row].append(json.loads(child.stdout.strip().splitlines()[-1]))
            print(f"round {round_number + 1}: {row} done", file=sys.stderr, flush=True)

    tags = hardware.describe(machine, "-")
    print(f"\nCPU: {tags['cpu']}, {os.cpu_count()} cores; flags: {tags['cpu_flags']}")
    print(
        "| config | kernels | precision | MMAC/image | step ms | epoch s | floor s | training GFLOP/s "
        "| matmul GFLOP/s | fraction of matmul |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|"
    )
    for (kernel, precision, name), runs in results.items():
        if not runs:
            print(f"| {name} | {kernel} | {precision} | | fails | | | | | |")
            continue

        def median(key, runs=runs):
            return statistics.median(run[key] for run in runs)

        train, peak = median("train_flops_per_s"), median("matmul_flops_per_s")
        floor = 6 * median("multiply_adds") * TRAIN_IMAGES / peak  # an epoch at matmul speed
        print(
            f"| {name} | {kernel} | {precision} | {median('multiply_adds') / 1e6:.1f} "
            f"| {median('step_s') * 1000:.0f} | {median('epoch_s'):.1f} | {floor:.0f} | {train / 1e9:.0f} "
            f"| {peak / 1e9:.0f} | {train / peak:.0%} |"
        )
    macs = statistics.median(r["multiply_adds"] for runs in results.values() for r in runs)
    print(
        f"\nA training step costs ~3 x 2 x {macs / 1e6:.1f} M = {6 * macs / 1e6:.0f} MFLOP per "
        f"image, {6 * macs * TRAIN_IMAGES / 1e12:.2f} TFLOP per epoch of {TRAIN_IMAGES:,} images. "
        "floor: that epoch at the matrix product's FLOP/s."
    )
    ghz = nominal_ghz()
    if ghz:
        print(
            f"In theory, {os.cpu_count()} cores x {ghz:.2f} GHz x 32 float32 FLOP per cycle (two "
            f"256-bit FMA units) = {os.cpu_count() * ghz * 32:.0f} GFLOP/s; AVX-512 doubles it "
            "on CPUs with two 512-bit FMA units (most Intel Xeons), not on AMD Zen 4."
        )


def nominal_ghz() -> float | None:
    """The clock /proc/cpuinfo reports (nominal on most virtual machines)."""
    cpuinfo = Path("/proc/cpuinfo")
    if not cpuinfo.exists():
        return None
    for line in cpuinfo.read_text().splitlines():
        if line.startswith("cpu MHz"):
            return float(line.split(":")[1]) / 1000
    return None


if __name__ == "__main__":
    main()
