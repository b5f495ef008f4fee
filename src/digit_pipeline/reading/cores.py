"""Images prepared on every core for batch reading (``Reader.read_each``): preparing an
image is nearly all the work of reading it, and runs in Python, one core per process.

    for prepared in prepared_in_order(prepare_file, files, len(files), every_core()):
        ...
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

import cv2

In, Out = TypeVar("In"), TypeVar("Out")

# Fewer items than this are prepared in this process: starting the workers (each imports
# the image stages afresh) costs about a second.
PARALLEL_FROM = 8
# Items handed to the workers ahead of the one being read, per worker: enough to keep
# every core busy, few enough to bound the memory prepared images hold.
AHEAD_PER_WORKER = 8


def every_core() -> int:
    """How many cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def prepared_in_order(
    prepare: Callable[[In], Out], items: Iterable[In], count: int, workers: int
) -> Iterator[Out]:
    """``map(prepare, items)`` on ``workers`` processes, in order, a few items ahead; in
    this process where one worker or fewer than ``PARALLEL_FROM`` of the ``count`` items
    would gain nothing. ``prepare`` must be a module's function (it is pickled by name);
    workers are started afresh (``spawn``), never forked from a process running
    TensorFlow's threads."""
    if workers <= 1 or count < PARALLEL_FROM:
        yield from map(prepare, items)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread) as pool:
        pending = deque()
        for item in items:
            pending.append(pool.submit(prepare, item))
            if len(pending) >= AHEAD_PER_WORKER * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _one_thread() -> None:
    """A worker's OpenCV on one thread: the cores are shared out between workers."""
    cv2.setNumThreads(1)
