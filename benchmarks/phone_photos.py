"""How well the registered model reads phone photos of a written sheet on a desk (issue
#27): generated photos (``digit_pipeline.generators.phone``), each read whole.

    python benchmarks/phone_photos.py                        # in this process, tuning digits
    python benchmarks/phone_photos.py --serve                # through `mlflow models serve`
    python benchmarks/phone_photos.py --digits test --serve  # final measurement only

Per kind of photo: the sheet found (every corner within 1% of the photo's diagonal of the
truth) and the median corner error in pixels; digits read (1 - edit distance / digits);
lines and sheets read exactly; photos answered as one digit (a sheet is never one);
seconds per photo (one request per photo when served). The
digits are those of ``real_world.py`` (``--digits``: tuning, holdout or MNIST's test file).
"""

from __future__ import annotations

import argparse
import base64
import http.client
import io
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from digit_pipeline.generators.phone import KINDS, PhonePhoto
from digit_pipeline.project import champion_uri
from digit_pipeline.training.hardware import describe, detect
from digit_pipeline.training.line_model import edit_distance

ROOT = Path(__file__).resolve().parents[1]
from current_code import network_of, with_current_code  # noqa: E402
from real_world import SEEDS, digit_pool  # noqa: E402
from serve_benchmark import served  # noqa: E402

# A sheet is found when each of its corners is within this fraction of the photo's
# diagonal of where it is.
CORNER_TOLERANCE = 0.01


def corner_error(found: list[list[float]] | None, truth: np.ndarray) -> float:
    """The largest distance (pixels) between a found corner and the true one, the corners
    matched the way round that fits best (which way is up is scored by the reading)."""
    if found is None:
        return float("inf")
    found = np.asarray(found)
    return min(
        float(np.linalg.norm(np.roll(found, k, axis=0) - truth, axis=1).max()) for k in range(4)
    )


def score(photos: list[PhonePhoto], answers: list[dict | None], diagonal: float) -> dict:
    digits = sum(len(p.text.replace("\n", "")) for p in photos)
    errors, lost, lines, lines_exact = [], 0, 0, 0
    for photo, answer in zip(photos, answers, strict=True):
        read = [] if answer is None else [line["digits"] for line in answer["lines"]]
        errors.append(corner_error(answer and answer.get("page"), photo.corners))
        lost += edit_distance("".join(photo.texts), "".join(read))
        lines += len(photo.texts)
        lines_exact += sum(line in read for line in photo.texts)
    errors = np.array(errors)
    return {
        "found": float(np.mean(errors <= CORNER_TOLERANCE * diagonal)),
        "corner_px": float(np.median(errors)),
        "digits": 1 - lost / digits,
        "lines": lines_exact / lines,
        "one_digit": sum(
            answer is not None and answer.get("read_as") == "digit" for answer in answers
        ),
        "sheets": float(
            np.mean(
                [
                    a is not None and [line["digits"] for line in a["lines"]] == p.texts
                    for p, a in zip(photos, answers, strict=True)
                ]
            )
        ),
    }


def read_in_process(reader):
    from digit_pipeline.reading.errors import InvalidInput  # noqa: PLC0415
    from digit_pipeline.reading.items import ImageFile  # noqa: PLC0415

    def read(photo: PhonePhoto) -> dict | None:
        try:
            return reader.read([ImageFile(photo.data)])[0].export()
        except InvalidInput:  # no digit found: read as nothing
            return None

    return read


def read_served(connection: http.client.HTTPConnection):
    def read(photo: PhonePhoto) -> dict | None:
        body = json.dumps({"inputs": [{"image": base64.b64encode(photo.data).decode()}]})
        fresh = http.client.HTTPConnection(connection.host, connection.port, timeout=120)
        fresh.request("POST", "/invocations", body.encode(), {"Content-Type": "application/json"})
        response = fresh.getresponse()
        answer = response.read()
        if response.status == 400:  # no digit found: read as nothing
            return None
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {answer[:300]!r}")
        return json.loads(answer)["predictions"][0]

    return read


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--digits", choices=list(SEEDS), default="tuning")
    parser.add_argument("--photos", type=int, default=30, help="per kind (12 MP: a third)")
    parser.add_argument("--kinds", nargs="*", default=list(KINDS), choices=list(KINDS))
    parser.add_argument("--serve", action="store_true", help="through mlflow models serve")
    parser.add_argument("--failures", type=Path, help="write misread photos here")
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    pool = digit_pool(args.digits)
    cpu = describe(detect(), "-")
    print(f"CPU: {cpu['cpu']} ({cpu['cpu_flags']}); digits: {args.digits}; {args.model_uri}")
    print(
        "| kind | photos | sheet found | corner error (px) | digits read | lines exact"
        " | sheets exact | as one digit | s/photo |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )

    def run(read) -> None:
        for kind in args.kinds:
            rng = np.random.default_rng([SEEDS[args.digits], 100 + list(KINDS).index(kind)])
            count = max(1, args.photos // 3) if "12 MP" in kind else args.photos
            photos = [KINDS[kind](pool, rng) for _ in range(count)]
            start = time.perf_counter()
            answers = [read(photo) for photo in photos]
            seconds = (time.perf_counter() - start) / count
            width, height = Image.open(io.BytesIO(photos[0].data)).size
            result = score(photos, answers, float(np.hypot(width, height)))
            print(
                f"| {kind} | {count} | {result['found']:.1%} | {result['corner_px']:.1f}"
                f" | {result['digits']:.1%} | {result['lines']:.1%} | {result['sheets']:.1%}"
                f" | {result['one_digit']}"
                f" | {seconds:.2f} |",
                flush=True,
            )
            if args.failures:
                args.failures.mkdir(parents=True, exist_ok=True)
                for index, (photo, answer) in enumerate(zip(photos, answers, strict=True)):
                    read_lines = [] if answer is None else [x["digits"] for x in answer["lines"]]
                    if read_lines != photo.texts:
                        name = f"{kind.replace(' ', '_').replace(',', '')}_{index}"
                        (args.failures / f"{name}.jpg").write_bytes(photo.data)
                        (args.failures / f"{name}.txt").write_text(
                            f"truth:\n{photo.text}\nread:\n" + "\n".join(read_lines) + "\n"
                            f"corners: {photo.corners.round(1).tolist()}\n"
                            f"found: {answer and answer.get('page')}\n"
                        )

    if args.serve:
        folder = tempfile.TemporaryDirectory(prefix="phone-photos-")
        with served(
            champion_uri(),
            with_current_code(args.model_uri, Path(folder.name)),
        ) as connection:
            run(read_served(connection))
    else:
        from digit_pipeline.reading.predictor import Reader  # noqa: PLC0415
        from digit_pipeline.reading.recognizer import Recognizer  # noqa: PLC0415

        run(read_in_process(Reader(Recognizer(*network_of(args.model_uri)))))


if __name__ == "__main__":
    main()
