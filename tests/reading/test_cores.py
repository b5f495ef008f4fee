"""Preparing on every core: in order, the same as in this process, and in this process
where workers would gain nothing."""

import math
import os

from digit_pipeline.reading import cores


def test_items_come_back_in_order_from_the_workers():
    items = list(range(3 * cores.PARALLEL_FROM))
    assert list(cores.prepared_in_order(math.factorial, iter(items), len(items), 2)) == [
        math.factorial(n) for n in items
    ]


def test_few_items_or_one_worker_are_prepared_in_this_process():
    pids = list(cores.prepared_in_order(_pid, range(3), 3, 2))
    pids += list(cores.prepared_in_order(_pid, range(20), 20, 1))
    assert set(pids) == {os.getpid()}
    many = list(cores.prepared_in_order(_pid, range(20), 20, 2))
    assert os.getpid() not in many


def test_every_core_counts_the_cores_this_process_may_use():
    assert 1 <= cores.every_core() <= (os.cpu_count() or 1)


def _pid(_item) -> int:
    return os.getpid()
