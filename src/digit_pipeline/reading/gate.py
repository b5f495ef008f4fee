"""How many reads run at once, and how long a read may wait for its turn."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from digit_pipeline.reading.errors import Busy
from digit_pipeline.reading.limits import MAX_CONCURRENT_READS, MAX_WAIT_SECONDS, MAX_WAITING

T = TypeVar("T")


class Gate:
    """Runs work on ``workers`` threads of its own; at most ``waiting`` more calls wait
    their turn, each for at most ``max_wait`` seconds. A call beyond either raises Busy."""

    def __init__(
        self,
        workers: int = MAX_CONCURRENT_READS,
        waiting: int = MAX_WAITING,
        max_wait: float = MAX_WAIT_SECONDS,
    ) -> None:
        self.max_wait = max_wait
        self._places = threading.BoundedSemaphore(workers + waiting)
        self._workers = ThreadPoolExecutor(workers, "read")

    def run(self, work: Callable[..., T], *args) -> T:
        """``work(*args)`` on one of the gate's threads, when its turn comes.

        Raises:
            Busy: Every place is taken, or the turn did not come within ``max_wait``.
        """
        if not self._places.acquire(blocking=False):
            raise Busy("the reader is busy with other requests: try again in a few seconds")
        try:
            started = threading.Event()

            def started_work() -> T:
                started.set()
                return work(*args)

            future = self._workers.submit(started_work)
            if not started.wait(self.max_wait) and future.cancel():
                raise Busy("the reader is busy with other requests: try again in a few seconds")
            return future.result()
        finally:
            self._places.release()
