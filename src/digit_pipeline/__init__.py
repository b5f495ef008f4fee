"""digit-pipeline: handwritten digit recognition with Kedro, MLflow and Keras."""

import os
import platform

__version__ = "0.1.0"

# TensorFlow runs its CPU kernels through oneDNN by default only on CPUs with AVX512_VNNI,
# AVX512_BF16 or AMX; on other x86 CPUs (most laptops, AMD Zen 2 and 3) its own kernels
# train this CNN about 1.4x slower (benchmarks/README.md). TensorFlow reads the setting
# once, when it loads, so it is set here, before any module of the package imports it.
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
