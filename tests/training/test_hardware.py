"""How the training precision follows the hardware (digit_pipeline.training.hardware)."""

import os
import subprocess
import sys

import pytest

from digit_pipeline.training.hardware import (
    Hardware,
    describe,
    onednn_enabled,
    parse_cpuinfo,
    resolve_precision,
)

AVX2_ONLY = frozenset({"sse4_2", "avx", "avx2", "fma"})  # AMD Zen 2/3, most laptops
AVX512 = AVX2_ONLY | {"avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"}
AVX512_BF16 = AVX512 | {"avx512_bf16"}  # Intel Cooper Lake, AMD Zen 4
AMX = AVX512 | {"amx_tile", "amx_bf16", "amx_int8"}  # Intel Sapphire Rapids


def cpu(flags, **kwargs) -> Hardware:
    return Hardware(cpu="test CPU", cpu_flags=frozenset(flags), **kwargs)


@pytest.mark.parametrize(
    "machine, expected",
    [
        (cpu(AVX2_ONLY), "float32"),
        (cpu(AVX512), "float32"),  # AVX-512 without bfloat16 (Skylake-SP, Ice Lake)
        (cpu(AVX512_BF16), "mixed_bfloat16"),
        (cpu(AMX), "mixed_bfloat16"),
        (cpu(set()), "float32"),  # no /proc/cpuinfo: macOS, Windows, Apple silicon
        # bfloat16 flags, but TensorFlow's kernels cannot use them: emulated, so float32.
        (cpu(AVX512_BF16, onednn=False), "float32"),
        (cpu(AVX512_BF16, onednn_max_isa="AVX2"), "float32"),
        (cpu(AVX512_BF16, onednn_max_isa="avx512_core"), "float32"),
        (cpu(AVX512_BF16, onednn_max_isa="AVX512_CORE_BF16"), "mixed_bfloat16"),
        # A GPU decides, whatever the CPU.
        (cpu(AVX2_ONLY, gpus=(("NVIDIA A100", (8, 0)),)), "mixed_bfloat16"),
        (cpu(AVX512_BF16, gpus=(("Tesla T4", (7, 5)),)), "mixed_float16"),
        (cpu(AVX512_BF16, gpus=(("Tesla P100", (6, 0)),)), "float32"),
        (cpu(AVX2_ONLY, gpus=(("A100", (8, 0)), ("T4", (7, 5)))), "mixed_float16"),
    ],
)
def test_auto_resolves_to_what_the_hardware_computes_natively(machine, expected):
    assert resolve_precision("auto", machine) == expected


@pytest.mark.parametrize("requested", ["float32", "mixed_bfloat16", "mixed_float16"])
@pytest.mark.parametrize("flags", [AVX2_ONLY, AVX512_BF16])
def test_an_explicit_precision_wins(requested, flags):
    assert resolve_precision(requested, cpu(flags)) == requested


@pytest.mark.parametrize("requested", ["bfloat16", "AUTO", "", "float16"])
def test_an_unknown_precision_is_refused(requested):
    with pytest.raises(ValueError, match=f"precision must be auto or one of .*got {requested!r}"):
        resolve_precision(requested, cpu(AVX2_ONLY))


def test_parse_cpuinfo_reads_the_first_cpu():
    text = (
        "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"
        "flags\t\t: fpu sse avx avx2 fma\n\n"
        "processor\t: 1\nmodel name\t: other\nflags\t\t: fpu\n"
    )
    assert parse_cpuinfo(text) == ("AMD EPYC 7B13", frozenset({"fpu", "sse", "avx", "avx2", "fma"}))
    assert parse_cpuinfo("") == ("", frozenset())


def test_describe_names_precision_device_cpu_and_the_flags_that_matter():
    tags = describe(cpu(AVX512_BF16, onednn_max_isa="AVX2"), "float32")
    assert tags == {
        "precision": "float32",
        "device": "CPU",
        "cpu": "test CPU",
        "cpu_flags": "avx2 fma avx512f avx512_bf16",
        "onednn": "on, capped at AVX2",
    }
    gpu = describe(cpu(AVX2_ONLY, gpus=(("NVIDIA A100", (8, 0)),), onednn=False), "mixed_bfloat16")
    assert gpu["device"] == "GPU (NVIDIA A100)" and gpu["onednn"] == "off"
    assert describe(cpu(set()), "float32")["cpu_flags"].startswith("none of avx2")


@pytest.mark.parametrize("preset, expected", [(None, "1"), ("0", "0")])
def test_the_package_turns_onednn_on_unless_told_otherwise(preset, expected):
    """TensorFlow turns its oneDNN kernels on by itself only on CPUs with AVX512_VNNI,
    BF16 or AMX; importing the package turns them on everywhere (x86), before TensorFlow
    loads, and leaves a user's own setting alone."""
    environment = {
        key: value for key, value in os.environ.items() if key != "TF_ENABLE_ONEDNN_OPTS"
    }
    if preset is not None:
        environment["TF_ENABLE_ONEDNN_OPTS"] = preset
    code = (
        "import os, sys, digit_pipeline.pipelines.train.nodes; "
        "assert 'tensorflow' in sys.modules; print(os.environ.get('TF_ENABLE_ONEDNN_OPTS'))"
    )
    printed = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert printed == expected


@pytest.mark.parametrize(
    "value, expected", [(None, False), ("1", True), ("true", True), ("0", False), ("False", False)]
)
def test_onednn_is_on_only_when_tensorflow_is_told_so(monkeypatch, value, expected):
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    if value is not None:
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", value)
    assert onednn_enabled() is expected
