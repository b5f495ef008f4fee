"""What each hostile or fuzzed image file costs the reader: CPU seconds and peak extra
memory to prepare and read it, one file per fresh process (issue #26).

    python benchmarks/hostile_files.py [--model-uri models:/<model>@<alias>] [--fuzzed 40]
    python benchmarks/hostile_files.py --only "EXIF 6"      # the files whose name says so

Files within every limit that cost a careless reader dearly: huge transparent canvases
with thin strokes, in each EXIF orientation; noise; thousands of specks; one giant blot; a
page of hairlines; a checkerboard; a 50 MP JPEG; and real PNG, JPEG, GIF and WebP files
with bytes overwritten, inserted and cut (seeded). Each is read by this checkout's reader
(the model's network and temperature, ``current_code.network_of``) in a process of its
own, its networks warmed up and a first file read, its loaded objects frozen out of the
collector's passes, as the served model's are: CPU seconds of all its threads, of the
first read and of the same file read again (the first also pays the kernel for fresh
memory: an RGBA image at the pixel limit is 67 MB decoded), and the peak resident memory
above what the process held before. A file refused with a reason is a good answer.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from digit_pipeline.reading.limits import MAX_IMAGE_PIXELS

ROOT = Path(__file__).resolve().parents[1]
CANVAS = math.isqrt(MAX_IMAGE_PIXELS)  # the largest square canvas within the pixel limit


def png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True, **options)
    return buffer.getvalue()


def jpeg(image: Image.Image, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def transparent_strokes(orientation: int = 1, width: int = 2, strokes: int = 12) -> bytes:
    """A transparent canvas at the pixel limit with a few thin strokes, turned by EXIF."""
    rng = np.random.default_rng(orientation)
    image = Image.new("RGBA", (CANVAS, CANVAS), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    for _ in range(strokes):
        x, y = rng.integers(200, CANVAS - 200, 2)
        points = [(int(x), int(y))]
        for _ in range(6):
            x, y = np.clip([x + rng.integers(-600, 600), y + rng.integers(-600, 600)], 0, CANVAS)
            points.append((int(x), int(y)))
        draw.line(points, fill=(0, 0, 0, 255), width=width)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return png(image, exif=exif)


def specks(count: int, size: int = 4000) -> bytes:
    rng = np.random.default_rng(count)
    image = Image.new("L", (size, size), 255)
    draw = ImageDraw.Draw(image)
    for x, y in rng.integers(0, size, (count, 2)):
        draw.ellipse([int(x), int(y), int(x) + 6, int(y) + 6], fill=0)
    return png(image)


def hostile_files() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    files = {
        f"transparent {CANVAS}x{CANVAS}, thin strokes, EXIF {o}": transparent_strokes(o)
        for o in (1, 3, 6, 8)
    }
    files[f"transparent {CANVAS}x{CANVAS}, hairlines, EXIF 6"] = transparent_strokes(6, 1, 40)
    files["noise 2000x2000 PNG"] = png(
        Image.fromarray(rng.integers(0, 256, (2000, 2000), np.uint8))
    )
    blotches = Image.fromarray(rng.integers(0, 256, (150, 200), np.uint8)).resize((8000, 6000))
    files["blotchy noise 8000x6000 JPEG (48 MP)"] = jpeg(blotches, 80)
    files["5,000 specks 4000x4000"] = specks(5_000)
    files["50,000 specks 4000x4000"] = specks(50_000)
    blot = Image.new("L", (CANVAS, CANVAS), 255)
    ImageDraw.Draw(blot).ellipse([300, 300, CANVAS - 300, CANVAS - 300], fill=0)
    files[f"one giant blot {CANVAS}x{CANVAS}"] = png(blot)
    hairlines = Image.new("L", (4000, 4000), 255)
    for y in range(10, 4000, 13):
        ImageDraw.Draw(hairlines).line([(0, y), (3999, y + 40)], fill=0, width=1)
    files["a page of hairlines 4000x4000"] = png(hairlines)
    checks = (np.indices((2000, 2000)).sum(axis=0) // 3 % 2 * 255).astype(np.uint8)
    files["checkerboard of 3-pixel squares"] = png(Image.fromarray(checks))
    return files


def fuzzed_files(count: int) -> dict[str, bytes]:
    """Real image files of MNIST test digits in several formats, each damaged at random:
    bytes overwritten, a run inserted, or the end cut."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from plain_keras import read_mnist  # noqa: PLC0415

    digits = read_mnist("t10k-images-idx3-ubyte")
    rng = np.random.default_rng(1)
    files = {}
    for index in range(count):
        row = np.concatenate(list(255 - digits[4 * index : 4 * index + 4]), axis=1)
        image = Image.fromarray(np.kron(row, np.ones((4, 4), np.uint8)))
        buffer = io.BytesIO()
        kind = ["PNG", "JPEG", "GIF", "WEBP"][index % 4]
        image.save(buffer, kind)
        data = bytearray(buffer.getvalue())
        damage = ["overwrite", "insert", "cut"][index % 3]
        at = int(rng.integers(8, len(data)))
        if damage == "overwrite":
            data[at : at + 16] = rng.integers(0, 256, 16, np.uint8).tobytes()
        elif damage == "insert":
            data[at:at] = rng.integers(0, 256, 64, np.uint8).tobytes()
        else:
            del data[at:]
        files[f"fuzzed {kind} {index}, {damage}"] = bytes(data)
    return files


def measure_one(model_uri: str, path: Path) -> dict:
    """In this process: the reader, a warm-up read, then the file's CPU and peak memory."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from current_code import network_of  # noqa: PLC0415

    from digit_pipeline.reading.errors import ReadingError  # noqa: PLC0415
    from digit_pipeline.reading.items import ImageFile  # noqa: PLC0415
    from digit_pipeline.reading.predictor import Reader  # noqa: PLC0415
    from digit_pipeline.reading.recognizer import Recognizer  # noqa: PLC0415

    recognizer = Recognizer(*network_of(model_uri))
    recognizer.warm_up()  # as the served model is once loaded (pyfunc.load_context)
    reader = Reader(recognizer)
    warm_up = Image.new("L", (280, 280), 255)
    ImageDraw.Draw(warm_up).line([(140, 40), (140, 240)], fill=0, width=18)
    reader.read([ImageFile(png(warm_up))])
    gc.freeze()  # as the served model does
    data = path.read_bytes()
    before = _memory_mb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from here
    seconds = []
    for _ in range(2):  # the first read also pays for fresh memory; the second reuses it
        started = time.process_time()
        try:
            (reading,) = reader.read([ImageFile(data)])
            text = reading.text
            answer = f"read {text!r}" if len(text) < 40 else f"read {len(reading.digits)} digits"
        except ReadingError as error:
            answer = f"refused: {error.message}"
        seconds.append(time.process_time() - started)
    extra = _memory_mb("VmHWM") - before
    return {"cpu_s": seconds[0], "again_s": seconds[1], "extra_mb": extra, "answer": answer,
            "bytes": len(data)}  # fmt: skip


def _memory_mb(field: str) -> float:
    """This process's resident memory (VmRSS) or its peak (VmHWM), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise KeyError(field)


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-uri")
    parser.add_argument("--fuzzed", type=int, default=40)
    parser.add_argument("--only", default="", help="measure the files whose name holds this")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # one file, in a child
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    if args.measure:
        print(json.dumps(measure_one(args.model_uri, args.measure)))
        return

    from digit_pipeline.project import champion_uri  # noqa: PLC0415
    from digit_pipeline.training.hardware import describe, detect  # noqa: PLC0415

    model_uri = args.model_uri or champion_uri()
    cpu = describe(detect(), "-")
    print(f"CPU: {cpu['cpu']} ({cpu['cpu_flags']}); {model_uri}")
    files = {**hostile_files(), **fuzzed_files(args.fuzzed)}
    files = {name: data for name, data in files.items() if args.only in name}
    print(
        "| file | bytes | CPU s | CPU s, again | peak extra MB | answer |\n"
        "|---|---:|---:|---:|---:|---|"
    )
    worst = {"cpu_s": 0.0, "again_s": 0.0, "extra_mb": 0.0}
    scratch = Path(ROOT / "data" / "08_reporting" / "hostile_file.bin")
    for name, data in files.items():
        scratch.write_bytes(data)
        child = subprocess.run(
            [sys.executable, __file__, "--model-uri", model_uri, "--measure", str(scratch)],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        figures = json.loads(child.stdout.strip().splitlines()[-1])
        worst = {key: max(worst[key], figures[key]) for key in worst}
        print(
            f"| {name} | {figures['bytes']:,} | {figures['cpu_s']:.2f} | {figures['again_s']:.2f}"
            f" | {figures['extra_mb']:.0f}"
            f" | {figures['answer'][:70]} |",
            flush=True,
        )
    scratch.unlink()
    print(
        f"\nworst: {worst['cpu_s']:.2f} CPU s ({worst['again_s']:.2f} s again),"
        f" {worst['extra_mb']:.0f} MB extra"
    )


if __name__ == "__main__":
    main()
