"""The reader's gate: a few reads at once, a bounded queue, a bounded wait."""

import threading
import time

import pytest

from digit_pipeline.reading.errors import Busy
from digit_pipeline.reading.gate import Gate


def blocked(gate: Gate, count: int) -> tuple[threading.Event, list[threading.Thread]]:
    """``count`` calls in the gate, each holding its place until the event is set."""
    release = threading.Event()
    threads = [threading.Thread(target=gate.run, args=(release.wait,)) for _ in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    return release, threads


def test_work_runs_on_the_gates_own_threads():
    gate = Gate(workers=2, waiting=1, max_wait=1)
    assert gate.run(lambda x: (x, threading.current_thread().name), 3)[0] == 3
    assert gate.run(lambda: threading.current_thread().name).startswith("read")
    with pytest.raises(ZeroDivisionError):
        gate.run(lambda: 1 / 0)
    assert gate.run(lambda: "still answering") == "still answering"


def test_a_call_beyond_every_place_is_busy_at_once():
    gate = Gate(workers=1, waiting=1, max_wait=30)
    release, threads = blocked(gate, 2)  # one reading, one waiting
    start = time.perf_counter()
    with pytest.raises(Busy) as error:
        gate.run(lambda: "never")
    assert time.perf_counter() - start < 1 and error.value.get_http_status_code() == 503
    release.set()
    for thread in threads:
        thread.join()
    assert gate.run(lambda: "free again") == "free again"


def test_a_call_whose_turn_does_not_come_in_time_is_busy_and_never_runs():
    gate = Gate(workers=1, waiting=2, max_wait=0.3)
    release, threads = blocked(gate, 1)
    ran = []
    with pytest.raises(Busy):
        gate.run(lambda: ran.append(True))
    release.set()
    for thread in threads:
        thread.join()
    time.sleep(0.1)
    assert ran == []
    assert gate.run(lambda: "in time") == "in time"
