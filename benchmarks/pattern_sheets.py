"""`digit-pipeline collect` on sheets written in a pattern: how many it keeps whole.

    python benchmarks/pattern_sheets.py --sheets 20

Sheets of ten lines of ``0123456789`` (``generators.photos.pattern_sheet``) in the digits
of writers made from MNIST's tuning digits (the validation split of the training file):
MNIST's own, and each hand of ``generators.writer.HANDS``. Each sheet is read as ``collect --rows 0123456789`` reads it, once
freely and once with each line read as ten digits; a sheet is kept whole when every line
holds ten digits. Also: the lines that hold ten, and the digits the model reads as the
pattern says.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from digit_pipeline.command_line.collect import lines_off
from digit_pipeline.generators.pen import DigitPool
from digit_pipeline.generators.photos import pattern_sheet
from digit_pipeline.generators.writer import HANDS
from digit_pipeline.project import champion_uri
from digit_pipeline.reading.items import ImageFile
from digit_pipeline.reading.predictor import Reader
from digit_pipeline.reading.recognizer import Recognizer
from digit_pipeline.training.hardware import describe, detect

sys.path.insert(0, str(Path(__file__).resolve().parent))
from current_code import network_of  # noqa: E402
from real_world import digit_pool  # noqa: E402

ROWS = "0123456789"


def writers() -> dict[str, DigitPool]:
    return {name: digit_pool("tuning", name) for name in ("MNIST", *HANDS)}


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--sheets", type=int, default=20)
    return parser


def main() -> None:
    args = argument_parser().parse_args()
    reader = Reader(Recognizer(*network_of(args.model_uri)))
    cpu = describe(detect(), "-")
    print(f"CPU: {cpu['cpu']}; {args.model_uri}; {args.sheets} sheets of 10 x {ROWS}")
    print("| writer | lines read as | sheets kept whole | lines of ten | digits as the pattern |")
    print("|---|---|---:|---:|---:|")
    for name, pool in writers().items():
        sheets = [
            pattern_sheet(pool, np.random.default_rng(seed), [ROWS] * 10)
            for seed in range(args.sheets)
        ]
        for counted in (None, len(ROWS)):
            kept = lines = right = 0
            for sheet in sheets:
                (reading,) = reader.read([ImageFile(sheet.data)], counted)
                texts = [line.digit_string for line in reading.lines]
                kept += len(texts) == 10 and not lines_off(texts, ROWS)
                lines += sum(len(text) == len(ROWS) for text in texts)
                right += sum(
                    sum(a == b for a, b in zip(text, ROWS, strict=False))
                    for text in texts
                    if len(text) == len(ROWS)
                )
            print(
                f"| {name} | {'ten' if counted else 'found'} | {kept / len(sheets):.0%}"
                f" | {lines / (10 * len(sheets)):.1%} | {right / (100 * len(sheets)):.1%} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
