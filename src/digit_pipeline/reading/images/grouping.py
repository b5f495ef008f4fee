"""The best grouping of a line's pieces into digits: the candidates (``segmentation``)
that cover the pieces once each, left to right, with the highest sum of prior plus score
(the log-probability of what the CNN reads; zeros for geometry alone). One dynamic
programme, free or for a known count of digits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from digit_pipeline.reading.images.segmentation import Candidate


def best_grouping(
    candidates: Sequence[Candidate], scores: Sequence[float], digits: int | None = None
) -> tuple[list[int], float] | None:
    """The indexes of the best candidates, and their sum: of any number of digits, or of
    exactly ``digits`` (a line whose count is known, as a pattern sheet's). A candidate
    that may be no digit is read or left out, whichever is likelier; read freely, a line is
    never left out whole when it can be read. None when no grouping has ``digits``."""
    if not candidates or (digits is not None and digits < 1):
        return ([], 0.0) if digits is None else None
    counted = digits is not None
    pieces = max(candidate.stop for candidate in candidates)
    # best[p, k]: the best sum of a grouping of the first p pieces into k digits (k is
    # always 0 when the count is free); came_from: where it came from, and what was read.
    best = np.full((pieces + 1, digits + 1 if counted else 1), -np.inf)
    best[0, 0] = 0.0
    came_from: dict[tuple[int, int], tuple[int, int, int | None]] = {}
    for index in sorted(range(len(candidates)), key=lambda i: candidates[i].stop):
        candidate = candidates[index]
        for read in range(best.shape[1]):
            base = best[candidate.start, read]
            if base == -np.inf:
                continue
            steps = []
            if not counted or read < digits:
                steps.append((read + counted, candidate.prior + scores[index], index))
            steps.append((read, candidate.dropped, None))  # left out
            for after, gain, chosen in steps:
                if base + gain > best[candidate.stop, after]:
                    best[candidate.stop, after] = base + gain
                    came_from[candidate.stop, after] = (candidate.start, read, chosen)
    end, read = pieces, digits if counted else 0
    if best[end, read] == -np.inf:
        return None
    total, path = float(best[end, read]), []
    while end > 0:
        end, read, chosen = came_from[end, read]
        if chosen is not None:
            path.append(chosen)
    if not counted and not path and any(c.dropped > -np.inf for c in candidates):
        return best_grouping([replace(c, dropped=-np.inf) for c in candidates], scores)
    return path[::-1], total
