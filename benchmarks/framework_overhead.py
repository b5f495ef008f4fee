"""Framework overhead: the default training configuration as a plain Keras script
(`plain_keras.py`) and as `kedro run` with MLflow logging, and the ratio of their wall
times.

    python benchmarks/framework_overhead.py                 # from the project root
    python benchmarks/framework_overhead.py --pairs 3       # three pairs and their median
    python benchmarks/framework_overhead.py --one-after-the-other
    python benchmarks/framework_overhead.py --identical 4    # the method's noise floor
    python benchmarks/framework_overhead.py --env smoke      # both sides on the smoke run's data

This machine's speed drifts by up to 1.8x for minutes at a time (epochs of the same work
take 24-43 s), more than the framework costs, so by default the two sides take turns:
both start together, and each in turn runs for a few seconds (random lengths, random
order) while the other is stopped (SIGSTOP). A side's wall time is the sum of its turns,
so a slow spell falls on both alike. Turns do not remove a second noise: two processes
doing the same training in turns can still differ by up to 40% in wall time, with the
same CPU time within 3% (`--identical 4` measures it: four plain scripts of two epochs in
turns). So each side's CPU seconds are printed too, and `--pairs` repeats the
comparison with fresh processes.

`--one-after-the-other` runs one plain script, then one `kedro run`, and adds where the
`kedro run` time went, node by node (its node times are wall times, which stops would
inflate).

`kedro run` is the real thing: it logs to the project's MLflow store and registers a
model version (the champion moves only if it is better). Each side runs in its own
process, imports included. A pair takes about twice a `kedro run`.
"""

import argparse
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Run

from digit_pipeline.operations.sweep import kedro_command, latest_run_since

ROOT = Path(__file__).resolve().parents[1]
CHILD_ENV = {**os.environ, "PYTHONUNBUFFERED": "1"}  # output line by line, as it comes
# The nodes that do what the plain script does (ingest, split, train, test accuracy); the
# others (plots, robustness, calibration, registering) are work the script skips.
SAME_WORK = (
    "validate_train_split_node", "validate_test_split_node", "select_training_subset_node",
    "split_validation_node", "prepare_test_set_node", "train_model_node",
    "test.classify_node", "test.metrics_node",
)  # fmt: skip


@dataclass
class Side:
    """One side of the comparison, run in its own process group with its output in a log."""

    name: str
    command: list[str]
    log: Path
    process: subprocess.Popen | None = None
    seconds: float = 0.0  # wall seconds of its turns
    cpu_seconds: float = 0.0

    def start(self) -> None:
        with self.log.open("w") as log:
            self.process = subprocess.Popen(
                self.command, cwd=ROOT, env=CHILD_ENV,
                stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def signal(self, number: int) -> None:
        os.killpg(self.process.pid, number)  # the process and any child it started

    def last_line(self) -> str:
        text = self.log.read_bytes()[-2000:].decode(errors="replace").replace("\r", "\n")
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines[-1][:100] if lines else ""


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def take_turns(sides: list[Side], turn: float, seed: int = 0) -> None:
    """Run the sides in turns until every one has finished: in each round every side once,
    in a random order, for a random 0.5-1.5 x ``turn`` seconds, so that nothing periodic
    on the machine can keep falling on the same side."""
    rng = random.Random(seed)
    for side in sides:
        side.start()
        side.signal(signal.SIGSTOP)
    cpu_before, report_at = children_cpu_seconds(), time.perf_counter() + 60
    waiting = list(sides)
    try:
        while waiting:
            for side in rng.sample(waiting, len(waiting)):
                side.signal(signal.SIGCONT)
                started = time.perf_counter()
                try:
                    side.process.wait(timeout=turn * rng.uniform(0.5, 1.5))
                except subprocess.TimeoutExpired:
                    side.signal(signal.SIGSTOP)
                side.seconds += time.perf_counter() - started
                if side.process.returncode is None:
                    continue
                cpu_now = children_cpu_seconds()  # grows when a finished child is reaped
                side.cpu_seconds, cpu_before = cpu_now - cpu_before, cpu_now
                waiting.remove(side)
                if side.process.returncode:
                    print(side.log.read_text()[-3000:], file=sys.stderr)
                    raise subprocess.CalledProcessError(side.process.returncode, side.command)
            if time.perf_counter() >= report_at:
                report_at += 60
                for side in sides:
                    print(f"{side.name:>6} {side.seconds:6.0f} s | {side.last_line()}", flush=True)
    finally:
        for side in waiting:
            side.signal(signal.SIGKILL)


def kedro_run_since(started: float) -> Run:
    mlflow.set_tracking_uri(
        os.environ.get("MLFLOW_TRACKING_URI", f"sqlite:///{ROOT / 'mlflow.db'}")
    )
    run = latest_run_since(MlflowClient(), started)
    if run is None:
        raise SystemExit("the kedro run left no MLflow run in the digit-pipeline experiment")
    return run


def plain_figure(output: str, label: str) -> float:
    """A figure the plain script prints, e.g. ``training: 612.3 s``."""
    line = next(line for line in output.splitlines() if line.startswith(label))
    return float(line.removeprefix(label).split()[0])


def plain_command(env: str | None, *arguments: str) -> list[str]:
    """The plain script, with the parameters of ``env`` over conf/base."""
    return [sys.executable, str(ROOT / "benchmarks" / "plain_keras.py"),
            *(["--env", env] if env else []), *arguments]  # fmt: skip


def pair_in_turns(turn: float, seed: int, env: str | None) -> tuple[float, float]:
    """One plain script and one `kedro run` in turns; their wall and CPU-time ratios."""
    started = time.time()
    with tempfile.TemporaryDirectory() as folder:
        plain = Side("plain", plain_command(env), Path(folder) / "plain.log")
        kedro = Side("kedro", kedro_command({}, env), Path(folder) / "kedro.log")
        take_turns([plain, kedro], turn, seed)
        plain_output = plain.log.read_text()
    run = kedro_run_since(started)
    print(f"\ntest accuracy: plain {plain_figure(plain_output, 'test accuracy'):.4f}, "
          f"kedro run {run.data.metrics['test_accuracy']:.4f} ({run.info.run_id})")  # fmt: skip
    for side in (plain, kedro):
        print(f"  {side.name:>5}: {side.seconds:.1f} s wall, {side.cpu_seconds:.1f} s CPU")
    ratios = kedro.seconds / plain.seconds, kedro.cpu_seconds / plain.cpu_seconds
    print(f"ratio kedro run / plain Keras: {ratios[0]:.3f} (CPU seconds: {ratios[1]:.3f})")
    return ratios


def in_turns(turn: float, pairs: int, env: str | None) -> None:
    ratios = [pair_in_turns(turn, seed, env) for seed in range(pairs)]
    if pairs > 1:
        wall, cpu = zip(*ratios, strict=True)
        print(f"\n{pairs} pairs, in turns of {turn:g} s: wall ratios "
              f"{', '.join(f'{r:.3f}' for r in wall)}; median {statistics.median(wall):.3f}; "
              f"CPU-seconds ratios median {statistics.median(cpu):.3f}")  # fmt: skip


def identical_in_turns(turn: float, count: int, epochs: int, env: str | None) -> None:
    """The noise floor: ``count`` identical plain scripts (``epochs`` epochs) in turns."""
    with tempfile.TemporaryDirectory() as folder:
        sides = [
            Side(
                f"plain {index + 1}",
                plain_command(env, "--epochs", str(epochs)),
                Path(folder) / f"{index}.log",
            )
            for index in range(count)
        ]
        take_turns(sides, turn)
    for side in sides:
        print(f"{side.name}: {side.seconds:.1f} s wall, {side.cpu_seconds:.1f} s CPU")
    wall, cpu = [side.seconds for side in sides], [side.cpu_seconds for side in sides]
    print(f"largest / smallest: wall {max(wall) / min(wall):.3f}, CPU {max(cpu) / min(cpu):.3f}")


def timed(command: list[str], output: list[str]) -> float:
    """Wall seconds of a command run alone; its standard output shown, and kept in ``output``."""
    started = time.perf_counter()
    with subprocess.Popen(
        command, cwd=ROOT, env=CHILD_ENV,
        stdout=subprocess.PIPE, text=True,
    ) as process:  # fmt: skip
        for line in process.stdout:
            print(line, end="", flush=True)
            output.append(line)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return time.perf_counter() - started


def one_after_the_other(env: str | None) -> None:
    plain_output: list[str] = []
    plain_seconds = timed(plain_command(env), plain_output)
    started = time.time()
    kedro_seconds = timed(kedro_command({}, env), [])
    plain_training = plain_figure("".join(plain_output), "training:")
    run = kedro_run_since(started)
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
        "| outside the nodes (start-up, loading and saving data, MLflow) | "
        f"{kedro_seconds - sum(nodes.values()):.1f} |"
    )
    print(f"\nplain Keras script: {plain_seconds:.1f} s")
    print(f"kedro run:          {kedro_seconds:.1f} s ({kedro_seconds / 60:.1f} min)")
    print(f"ratio kedro run / plain Keras: {kedro_seconds / plain_seconds:.3f}")
    print(
        "ratio without the work the plain script skips: "
        f"{(kedro_seconds - sum(nodes.values()) + same_work) / plain_seconds:.3f}"
    )
    kedro_training = nodes["train_model_node"]
    print(
        f"training (build and fit): plain {plain_training:.1f} s, kedro run {kedro_training:.1f} s"
    )
    print(
        f"everything but training: plain {plain_seconds - plain_training:.1f} s, "
        f"kedro run {kedro_seconds - kedro_training:.1f} s"
    )


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turn", type=float, default=5.0, help="mean seconds of a turn")
    parser.add_argument("--pairs", type=int, default=1, help="plain/kedro pairs to run")
    parser.add_argument(
        "--identical", type=int, metavar="N",
        help="no kedro run: N identical plain scripts in turns, the noise floor of the method",
    )  # fmt: skip
    parser.add_argument("--epochs", type=int, default=2, help="epochs of --identical's scripts")
    parser.add_argument(
        "--one-after-the-other", action="store_true",
        help="no turns: plain script, then kedro run, with the kedro run's node times",
    )  # fmt: skip
    parser.add_argument(
        "--env", help="Kedro environment of both sides (`kedro run --env`; smoke: a quick check)"
    )
    return parser


def main() -> None:
    arguments = argument_parser().parse_args()
    if arguments.one_after_the_other:
        one_after_the_other(arguments.env)
    elif arguments.identical:
        identical_in_turns(arguments.turn, arguments.identical, arguments.epochs, arguments.env)
    else:
        in_turns(arguments.turn, arguments.pairs, arguments.env)


if __name__ == "__main__":
    main()
