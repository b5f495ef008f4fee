"""What the machine computes fast, and the training precision chosen for it.

``precision: auto`` (the default) trains in bfloat16 only where the hardware computes it
natively, and in float32 everywhere else: emulated, bfloat16 is many times slower
(benchmarks/README.md).

- A GPU that TensorFlow sees: mixed bfloat16 from compute capability 8.0 (Ampere), mixed
  float16 from 7.0 (Volta, Turing), float32 below.
- Otherwise, an x86 CPU with ``avx512_bf16`` or ``amx_bf16`` (Intel Cooper Lake and
  Sapphire Rapids onwards, AMD Zen 4 onwards) and TensorFlow's oneDNN kernels allowed to
  use them: mixed bfloat16. Any other CPU (most laptops, AMD Zen 2/3, Apple silicon):
  float32.
"""

from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

import tensorflow as tf

PRECISIONS = ("float32", "mixed_bfloat16", "mixed_float16")
NATIVE_BFLOAT16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})
# The CPU flags worth reporting beside a timing: what the vector units can do.
REPORTED_FLAGS = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_bf16")
# Values of ONEDNN_MAX_CPU_ISA that keep oneDNN below its bfloat16 kernels.
ONEDNN_ISAS_WITHOUT_BFLOAT16 = frozenset(
    {"SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI"}
)


@dataclass(frozen=True)
class Hardware:
    """The machine as training sees it.

    Attributes:
        cpu: The CPU's model name.
        cpu_flags: Its instruction-set flags, as /proc/cpuinfo names them (empty where
            that file does not exist: macOS, Windows).
        gpus: Each GPU TensorFlow sees: ``(name, (major, minor) compute capability)``.
        onednn: Whether TensorFlow runs its CPU kernels through oneDNN.
        onednn_max_isa: ``ONEDNN_MAX_CPU_ISA``, if set: a cap on the instructions oneDNN uses.
    """

    cpu: str
    cpu_flags: frozenset[str]
    gpus: tuple[tuple[str, tuple[int, int]], ...] = ()
    onednn: bool = True
    onednn_max_isa: str | None = None

    @property
    def native_bfloat16_cpu(self) -> bool:
        """The CPU computes bfloat16 in hardware, and TensorFlow's kernels may use it."""
        return (
            bool(self.cpu_flags & NATIVE_BFLOAT16_FLAGS)
            and self.onednn
            and (self.onednn_max_isa or "").upper() not in ONEDNN_ISAS_WITHOUT_BFLOAT16
        )

    @property
    def device(self) -> str:
        return f"GPU ({self.gpus[0][0]})" if self.gpus else "CPU"


def checked_precision(precision: str, *, auto: bool = False) -> str:
    """``precision`` if it is one of ``PRECISIONS`` (or ``auto``, when allowed).

    Raises:
        ValueError: Naming the precisions there are.
    """
    if precision in PRECISIONS or (auto and precision == "auto"):
        return precision
    known = f"auto or one of {', '.join(PRECISIONS)}" if auto else f"one of {', '.join(PRECISIONS)}"
    hint = "" if auto else " (resolve auto with digit_pipeline.training.hardware.resolve_precision)"
    raise ValueError(f"precision must be {known}, got {precision!r}{hint}")


def resolve_precision(requested: str, hardware: Hardware) -> str:
    """The precision to train in: ``requested``, or for ``auto`` the fastest one that the
    hardware computes natively.

    Raises:
        ValueError: ``requested`` is neither ``auto`` nor one of ``PRECISIONS``.
    """
    if checked_precision(requested, auto=True) != "auto":
        return requested
    if hardware.gpus:
        capability = min(capability for _, capability in hardware.gpus)
        if capability >= (8, 0):
            return "mixed_bfloat16"
        return "mixed_float16" if capability >= (7, 0) else "float32"
    return "mixed_bfloat16" if hardware.native_bfloat16_cpu else "float32"


def describe(hardware: Hardware, precision: str) -> dict[str, str]:
    """What a run's timing depends on, as MLflow tags."""
    flags = [flag for flag in REPORTED_FLAGS if flag in hardware.cpu_flags]
    return {
        "precision": precision,
        "device": hardware.device,
        "cpu": hardware.cpu,
        "cpu_flags": " ".join(flags) or "none of " + " ".join(REPORTED_FLAGS),
        "onednn": (f"on, capped at {hardware.onednn_max_isa}" if hardware.onednn_max_isa else "on")
        if hardware.onednn
        else "off",
    }


def parse_cpuinfo(text: str) -> tuple[str, frozenset[str]]:
    """The model name and flags of the first CPU in /proc/cpuinfo's text (x86 Linux)."""
    model, flags = "", frozenset()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "model name" and not model:
            model = value.strip()
        elif key == "flags" and not flags:
            flags = frozenset(value.split())
    return model, flags


def onednn_enabled() -> bool:
    """Whether TensorFlow uses oneDNN: ``TF_ENABLE_ONEDNN_OPTS``, which this package sets
    on x86 unless the user did (``digit_pipeline/__init__.py``). Unset (other CPUs, or
    TensorFlow imported before this package) counts as off: bfloat16 is then not trusted
    to be native, and training stays in float32."""
    return os.environ.get("TF_ENABLE_ONEDNN_OPTS", "0").lower() in ("1", "true")


def detect() -> Hardware:
    """The hardware of this machine: /proc/cpuinfo, and the GPUs TensorFlow sees."""
    cpuinfo = Path("/proc/cpuinfo")
    model, flags = parse_cpuinfo(cpuinfo.read_text()) if cpuinfo.exists() else ("", frozenset())
    gpus = []
    for gpu in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(gpu)
        gpus.append(
            (details.get("device_name", gpu.name), details.get("compute_capability", (0, 0)))
        )
    return Hardware(
        cpu=model or platform.processor() or platform.machine(),
        cpu_flags=flags,
        gpus=tuple(gpus),
        onednn=onednn_enabled(),
        onednn_max_isa=os.environ.get("ONEDNN_MAX_CPU_ISA"),
    )
