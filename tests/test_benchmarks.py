"""The benchmarks' own logic: framework_overhead.py's turns (one process runs at a time,
each is charged its own turns, a failure stops them all) and the CPU kernels epoch_speed.py
compares."""

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "framework_overhead.py"


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
    from digit_pipeline.model import build_cnn  # noqa: PLC0415
    from digit_pipeline.parameters import TrainParameters  # noqa: PLC0415

    from .support import smoke_parameters  # noqa: PLC0415

    default = smoke_parameters(TrainParameters, seed=0, precision="float32")
    small = default.model_copy(update={"conv_blocks": [[4]], "dense_units": 8})
    # 3x3 unpadded 1 -> 4 channels: 26x26 outputs; 5x5 stride 2, padded, 4 -> 4: 13x13;
    # dense 13*13*4 -> 8; dense 8 -> 10.
    expected = 26 * 26 * 4 * 9 * 1 + 13 * 13 * 4 * 25 * 4 + 13 * 13 * 4 * 8 + 8 * 10
    assert epoch_speed.multiply_adds(build_cnn(small)) == expected
    # The default network: ~15 M multiply-adds per image.
    assert 14e6 < epoch_speed.multiply_adds(build_cnn(default)) < 16e6
