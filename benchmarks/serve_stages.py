"""Where a served request of many `pixels` items spends its time, in this process, stage by
stage as MLflow's scoring server runs them.

    python benchmarks/serve_stages.py [--model-uri models:/<model>@<alias>]
    ONEDNN_MAX_CPU_ISA=AVX2 python benchmarks/serve_stages.py   # as on an AVX2 CPU

Stages: MLflow parsing the JSON body (it parses it twice), the project's validation of the
items, the CNN, the rest of reading (predictions in the contract), MLflow writing the
answer; and the whole of `scoring_server.invocations` timed on its own. Medians of
--repeats, after two warm-ups. `serve_benchmark.py` measures the same request over HTTP.
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

from current_code import with_current_code
from mlflow.pyfunc import scoring_server
from serve_benchmark import pixels_request, test_digits

from digit_pipeline.project import champion_uri
from digit_pipeline.reading.items import parse_request, prepare_items
from digit_pipeline.training.hardware import describe, detect


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-uri", default=champion_uri())
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=7)
    return parser


def main() -> None:
    args = argument_parser().parse_args()

    body = pixels_request(test_digits()[: args.batch])
    folder = tempfile.TemporaryDirectory(prefix="serve-stages-")
    with_current_code(args.model_uri, Path(folder.name))  # this checkout's code, served
    model = scoring_server.load_model_with_mlflow_config(champion_uri())
    reader = model.unwrap_python_model().reader
    schema = model.metadata.get_input_schema()

    seconds: dict[str, list[float]] = {}
    for repeat in range(args.repeats + 2):
        marks = [time.perf_counter()]
        items = scoring_server._parse_json_data(body, model.metadata, schema).data
        marks.append(time.perf_counter())
        prepared = prepare_items(parse_request(items))
        marks.append(time.perf_counter())
        predictions = [reading.export() for reading in reader.recognize(prepared)]
        marks.append(time.perf_counter())
        scoring_server.predictions_to_json(predictions, io.StringIO())
        marks.append(time.perf_counter())
        reader.recognizer.probabilities([item.whole for item in prepared])
        marks.append(time.perf_counter())
        scoring_server.invocations(body, "application/json", model, schema)
        marks.append(time.perf_counter())
        if repeat < 2:
            continue
        stages = [b - a for a, b in zip(marks, marks[1:], strict=False)]
        read, cnn = stages[2], stages[4]
        figures = {
            "MLflow: parse the JSON body (twice)": stages[0],
            "project: validate the items": stages[1],
            "project: the CNN": cnn,
            "project: the rest of reading": max(read - cnn, 0.0),
            "MLflow: write the answer's JSON": stages[3],
            "the whole request (scoring_server.invocations)": stages[5],
        }
        for name, value in figures.items():
            seconds.setdefault(name, []).append(value)

    tags = describe(detect(), "-")
    print(f"CPU: {tags['cpu']}; flags: {tags['cpu_flags']}; oneDNN: {tags['onednn']}")
    print(
        f"{args.batch} pixels items ({len(body) / 1e6:.1f} MB of JSON), median of {args.repeats}:"
    )
    for name, values in seconds.items():
        print(f"  {name:48s} {1000 * statistics.median(values):6.0f} ms")
    whole = statistics.median(seconds["the whole request (scoring_server.invocations)"])
    print(f"  {'=> images/s, before HTTP':48s} {args.batch / whole:6.0f}")


if __name__ == "__main__":
    main()
