"""The benchmarks keep running as documented: every script's quick check (the table of
benchmarks/README.md) runs against a smoke champion, and every benchmark command of the
README, its docs/ pages and benchmarks/README.md parses with its script's arguments. Then
the benchmarks' own logic: framework_overhead.py's turns (one process runs at a time, each is charged its
own turns, a failure stops them all) and the CPU kernels epoch_speed.py compares."""

import importlib
import importlib.util
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from digit_pipeline.testing.project import PROJECT_ROOT, tracking_uri
from digit_pipeline.testing.servers import BIN

BENCHMARKS = PROJECT_ROOT / "benchmarks"
SCRIPT = BENCHMARKS / "framework_overhead.py"
# The scripts; current_code.py is a module that several of them share.
SCRIPTS = sorted(path.name for path in BENCHMARKS.glob("*.py") if path.name != "current_code.py")
# What the docs write for "each of them": `--hand H` (each hand), `--writer W`.
PLACEHOLDERS = {"H": "backhand", "W": "backhand"}


def inline_commands(markdown: str) -> list[str]:
    """Every `python benchmarks/...` command in the inline code of a Markdown text (a code
    span may run over two lines), without what comes before it (an environment variable)."""
    prose = re.sub(r"```.*?```", "", markdown, flags=re.DOTALL)
    spans = re.findall(r"`([^`]+)`", prose)
    return [
        " ".join(span.split())[span.index("python benchmarks/") :].strip()
        for span in spans
        if "python benchmarks/" in span
    ]


def command_lines(command: str) -> list[list[str]]:
    """A documented command as the argument lists it stands for: ``[--kernels AVX2]`` is
    given, ``serve|gui`` is each of the two, a placeholder is one of its values."""
    optional = re.sub(r"\[(--[^\]]*)\]", r"\1", command.replace("\\|", "|"))
    words = shlex.split(optional)
    lines = [[]]
    for previous, word in zip(["", *words], words, strict=False):
        value = PLACEHOLDERS.get(word, word) if previous.startswith("--") else word
        choices = value.split("|") if "|" in value else [value]
        lines = [[*line, choice] for line in lines for choice in choices]
    return [line[1:] for line in lines]  # without `python`


def quick_checks() -> dict[str, str]:
    """The quick-check column of benchmarks/README.md's table of scripts, by script."""
    text = (BENCHMARKS / "README.md").read_text()
    table = text.split("## The scripts", 1)[1].split("\n## ", 1)[0]
    rows = [row.split(" | ") for row in table.splitlines() if row.startswith("| `")]
    return {row[0].strip("| `"): row[-1].strip("| `") for row in rows}


# Every page that may give a benchmark's command: the README, its docs/ pages, the
# benchmarks' own README.
DOCUMENTATION = [
    PROJECT_ROOT / "README.md",
    *sorted((PROJECT_ROOT / "docs").glob("*.md")),
    BENCHMARKS / "README.md",
]


def documented() -> list[str]:
    return sorted(
        {command for page in DOCUMENTATION for command in inline_commands(page.read_text())}
    )


def test_every_script_has_a_quick_check_of_its_own():
    checks = quick_checks()
    assert sorted(checks) == SCRIPTS
    for script, command in checks.items():
        assert command.startswith(f"python benchmarks/{script}")


@pytest.fixture(scope="module")
def scripts():
    """The scripts, imported as modules (beside each other, as they import each other)."""
    sys.path.insert(0, str(BENCHMARKS))
    yield lambda name: importlib.import_module(name.removesuffix(".py"))
    sys.path.remove(str(BENCHMARKS))


@pytest.mark.parametrize("command", documented())
def test_a_documented_command_parses(scripts, command):
    assert SCRIPTS, "no scripts"
    for line in command_lines(command):
        script, *arguments = line
        module = scripts(Path(script).name)
        module.argument_parser().parse_args(arguments)  # exits with the usage if not


@pytest.fixture(scope="module")
def benchmark_project(smoke_project, tmp_path_factory) -> Path:
    """A copy of the smoke project (its store and champion too), with the benchmarks, to
    run them from its root as the README does."""
    project = tmp_path_factory.mktemp("benchmarks") / "project"
    shutil.copytree(smoke_project[0], project, symlinks=True)
    shutil.copytree(BENCHMARKS, project / "benchmarks")
    return project


@pytest.mark.slow
@pytest.mark.parametrize("script", SCRIPTS)
def test_the_quick_check_runs(benchmark_project, script):
    command = quick_checks()[script]
    environment = {
        **os.environ,
        "MLFLOW_TRACKING_URI": tracking_uri(benchmark_project),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",  # mlflow, kedro, digit-pipeline
    }
    done = subprocess.run(
        [sys.executable, *shlex.split(command)[1:]], cwd=benchmark_project, env=environment,
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, f"{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    assert done.stdout.strip(), f"{command} printed nothing"


@pytest.fixture(scope="module")
def overhead():
    spec = importlib.util.spec_from_file_location("framework_overhead", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def busy(cpu_seconds: float, returncode: int = 0) -> list[str]:
    """A command that keeps one core busy for ``cpu_seconds``, then exits."""
    code = (
        f"import sys, time\nstart = time.process_time()\n"
        f"while time.process_time() - start < {cpu_seconds}: pass\nsys.exit({returncode})"
    )
    return [sys.executable, "-c", code]


def test_each_side_is_charged_its_own_turns(overhead, tmp_path):
    short = overhead.Side("short", busy(1.0), tmp_path / "short.log")
    long = overhead.Side("long", busy(2.0), tmp_path / "long.log")
    started = time.perf_counter()
    overhead.take_turns([short, long], turn=0.2)
    wall = time.perf_counter() - started
    for side, cpu in ((short, 1.0), (long, 2.0)):
        # One core each, never together: a side's turns add up to its own CPU time.
        assert side.cpu_seconds == pytest.approx(cpu, abs=0.3)
        assert side.seconds == pytest.approx(side.cpu_seconds, abs=0.4)
    assert short.seconds + long.seconds <= wall < short.seconds + long.seconds + 1.0


def test_a_failing_side_stops_the_others(overhead, tmp_path):
    failing = overhead.Side("failing", busy(0.1, returncode=3), tmp_path / "failing.log")
    endless = overhead.Side("endless", busy(60.0), tmp_path / "endless.log")
    with pytest.raises(subprocess.CalledProcessError) as error:
        overhead.take_turns([failing, endless], turn=0.2)
    assert error.value.returncode == 3
    assert endless.process.wait(timeout=5) == -9  # killed, not left running


@pytest.fixture(scope="module")
def epoch_speed():
    path = SCRIPT.parent / "epoch_speed.py"
    sys.path.insert(0, str(path.parent))  # it imports plain_keras beside it
    spec = importlib.util.spec_from_file_location("epoch_speed", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "flags, expected",
    [
        ({"avx2", "fma"}, ["oneDNN", "Eigen"]),
        (
            {"avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_bf16"},
            ["oneDNN", "AVX512_CORE", "AVX2", "Eigen"],
        ),
        (set(), ["oneDNN", "Eigen"]),
    ],
)
def test_epoch_speed_offers_each_lower_instruction_set_of_the_cpu(epoch_speed, flags, expected):
    assert epoch_speed.available_kernels(frozenset(flags)) == expected


def test_epoch_speed_sets_the_kernels_for_a_child_process(epoch_speed, monkeypatch):
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX2")
    assert epoch_speed.kernel_environment("Eigen")["TF_ENABLE_ONEDNN_OPTS"] == "0"
    uncapped = epoch_speed.kernel_environment("oneDNN")
    assert uncapped["TF_ENABLE_ONEDNN_OPTS"] == "1" and "ONEDNN_MAX_CPU_ISA" not in uncapped
    assert epoch_speed.kernel_environment("AVX2")["ONEDNN_MAX_CPU_ISA"] == "AVX2"


def test_multiply_adds_counts_convolutions_and_dense_layers(epoch_speed):
    from digit_pipeline.parameters import TrainParameters  # noqa: PLC0415
    from digit_pipeline.testing.project import smoke_parameters  # noqa: PLC0415
    from digit_pipeline.training.cnn import build_cnn  # noqa: PLC0415

    default = smoke_parameters(TrainParameters, seed=0, precision="float32")
    small = default.model_copy(update={"conv_blocks": [[4]], "dense_units": 8})
    # 3x3 unpadded 1 -> 4 channels: 26x26 outputs; 5x5 stride 2, padded, 4 -> 4: 13x13;
    # dense 13*13*4 -> 8; dense 8 -> 10.
    expected = 26 * 26 * 4 * 9 * 1 + 13 * 13 * 4 * 25 * 4 + 13 * 13 * 4 * 8 + 8 * 10
    assert epoch_speed.multiply_adds(build_cnn(small)) == expected
    # The default network: ~15 M multiply-adds per image.
    assert 14e6 < epoch_speed.multiply_adds(build_cnn(default)) < 16e6
