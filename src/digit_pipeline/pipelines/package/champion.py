"""The champion rule: whether a new version replaces the champion, and the version's
description that says why. Pure functions of the figures."""

from typing import Any

import numpy as np


def decide_promotion(
    candidate_accuracy: float,
    champion_accuracy: float | None,
    min_accuracy: float,
    own: tuple[float, float] | None = None,
    mnist_tolerance: float = 0.0,
) -> tuple[bool, str]:
    """Whether a candidate model replaces the champion.

    It must reach the floor ``min_accuracy`` and strictly beat the champion's test
    accuracy. ``champion_accuracy`` is None when there is no champion, NaN when there is
    one whose accuracy is unknown (then it stays).

    With ``own`` (the candidate's and the champion's accuracy on the person's held-out own
    digits), it must instead keep its test accuracy within ``mnist_tolerance`` of the
    champion's, read the own digits no worse, and be better at one of the two.

    Returns:
        The decision and a one-line reason.
    """
    if not np.isfinite(candidate_accuracy):
        return False, f"test accuracy {candidate_accuracy} is not a number"
    if candidate_accuracy < min_accuracy:
        return (
            False,
            f"test accuracy {candidate_accuracy:.4f} is below the floor {min_accuracy:.4f}",
        )
    if champion_accuracy is None:
        return (
            True,
            f"test accuracy {candidate_accuracy:.4f} reaches the floor and there is no champion yet",
        )
    if not np.isfinite(champion_accuracy):
        return False, "the champion's test accuracy is unknown: move the alias by hand if you must"
    if own is not None:
        return _decide_with_own_digits(candidate_accuracy, champion_accuracy, *own, mnist_tolerance)
    beats = candidate_accuracy > champion_accuracy
    verb = "beats" if beats else "does not beat"
    return (
        beats,
        f"test accuracy {candidate_accuracy:.4f} {verb} the champion's {champion_accuracy:.4f}",
    )


def _decide_with_own_digits(
    candidate_accuracy: float,
    champion_accuracy: float,
    candidate_own: float,
    champion_own: float,
    mnist_tolerance: float,
) -> tuple[bool, str]:
    scores = (
        f"test accuracy {candidate_accuracy:.4f} against the champion's {champion_accuracy:.4f},"
        f" own digits {candidate_own:.4f} against {champion_own:.4f}"
    )
    if candidate_accuracy < champion_accuracy - mnist_tolerance:
        return False, f"{scores}: test accuracy falls by more than {mnist_tolerance:.4f}"
    if candidate_own < champion_own:
        return False, f"{scores}: reads the own digits worse"
    if candidate_own == champion_own and candidate_accuracy <= champion_accuracy:
        return False, f"{scores}: better at neither"
    return True, f"{scores}: holds MNIST and reads the own digits at least as well"


def lines_no_worse(
    candidate: float, champion: float | None, reason: str, floor: float
) -> tuple[bool, str]:
    """A version that ``decide_promotion`` promotes must also read at least ``floor`` of
    the validation lines exactly (``line_exact``), and no fewer than the champion (where
    the champion was measured so). ``reason``: ``decide_promotion``'s, extended."""
    if not np.isfinite(candidate) or candidate < floor:
        return False, (
            f"{reason}, but it reads {candidate:.4f} of the validation lines exactly, "
            f"below the floor {floor:.4f}"
        )
    if champion is None or not np.isfinite(champion):
        return True, f"{reason}; validation lines {candidate:.4f} exact"
    if candidate < champion:
        return False, (
            f"{reason}, but it reads {candidate:.4f} of the validation lines exactly, "
            f"the champion {champion:.4f}"
        )
    return True, f"{reason}; validation lines {candidate:.4f} exact (champion {champion:.4f})"


def version_description(
    run_name: str,
    run_id: str,
    test_metrics: dict[str, float],
    own_metrics: dict[str, float],
    *,
    decision: dict[str, Any],
    alias: str,
) -> str:
    """A registered version's description (Markdown, shown on its page in the MLflow UI):
    the run that trained it, its accuracy on the test digits and on the held-out own
    digits, and the champion decision with its reason."""
    own_train = int(own_metrics.get("own_train_count", 0))
    trained = f"Trained by run **{run_name}** (`{run_id}`)" + (
        f", with {own_train} of your own digits." if own_train else " on MNIST's training digits."
    )
    tested = (
        f"Test accuracy **{test_metrics['test_accuracy']:.4f}** "
        f"({int(test_metrics['test_errors'])} mistakes)"
    )
    if "own_accuracy" in own_metrics:
        tested += (
            f"; own digits **{own_metrics['own_accuracy']:.4f}** "
            f"on {int(own_metrics['own_count'])} held out."
        )
    else:
        tested += "; no own digits held out."
    verdict = "became" if decision["promoted"] else "did not become"
    if decision["previous_champion_version"] is None:
        previous = "there was none before"
    else:
        previous = f"the champion was version {decision['previous_champion_version']}"
    return (
        f"{trained}\n\n{tested}\n\n"
        f"**{verdict.capitalize()} @{alias}** ({previous}): {decision['reason']}."
    )
