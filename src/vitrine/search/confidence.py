"""Calibrated confidence of a search answer, the basis of "not found".

A logistic model over three cues of the ranked products: the first product's
score, its margin over the second, and its geometric inliers. It is fitted by
the benchmark on in-catalog and out-of-catalog photos (``fit_confidence``) and
outputs the estimated probability that the first product is the right one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class RankedProduct(Protocol):
    @property
    def score(self) -> float: ...

    @property
    def inliers(self) -> int: ...


SHORTLIST_SIZE = 4  # products on the shopper's first screen when the search is unsure


def shortlist_cues(matches: Sequence[RankedProduct], size: int = SHORTLIST_SIZE) -> np.ndarray:
    """[first score, margin of the short list over the next product, log(1 + best inliers)]."""
    if not matches:
        return np.zeros(3)
    first = matches[0].score
    after = matches[size].score if len(matches) > size else 0.0
    inliers = max(match.inliers for match in matches[:size])
    return np.array([first, first - after, math.log1p(inliers)])


def answer_cues(matches: Sequence[RankedProduct]) -> np.ndarray:
    """[first score, margin over the second, log(1 + first product's inliers)]."""
    if not matches:
        return np.zeros(3)
    first = matches[0].score
    second = matches[1].score if len(matches) > 1 else 0.0
    return np.array([first, first - second, math.log1p(matches[0].inliers)])


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic regression over ``answer_cues``.

    The defaults were fitted by the benchmark on 300 Grocery train photos (20
    products held out of the catalog, 5 enrollment shots, geometry on, no
    adapter); a negative inlier weight was set to 0 so more inliers never lower
    the confidence. Scores change scale with the adapter: use
    ``CONFIDENCE_WITH_ADAPTER`` then, or refit with ``fit_confidence``.
    """

    weights: tuple[float, float, float] = (1.6, 14.6, 0.0)
    bias: float = -1.7

    def probability_of(self, cues: np.ndarray) -> float:
        logit = float(np.dot(self.weights, cues) + self.bias)
        return 1.0 / (1.0 + math.exp(-max(min(logit, 40.0), -40.0)))

    def probability(self, matches: Sequence[RankedProduct]) -> float:
        """Estimated probability that the first product is right (0 when there is none)."""
        return self.probability_of(answer_cues(matches)) if matches else 0.0

    def shortlist_probability(self, matches: Sequence[RankedProduct]) -> float:
        """For a short-list model: probability that the first ``SHORTLIST_SIZE`` products
        hold the right one."""
        return self.probability_of(shortlist_cues(matches)) if matches else 0.0


def fit_confidence(
    cues: np.ndarray, correct: np.ndarray, l2: float = 1e-3, steps: int = 50
) -> ConfidenceModel:
    """Logistic regression (Newton steps); ``correct`` is 1 where the first product was right."""
    features = np.hstack([np.asarray(cues, np.float64), np.ones((len(cues), 1))])
    target = np.asarray(correct, np.float64)
    theta = np.zeros(features.shape[1])
    for _ in range(steps):
        predicted = 1.0 / (1.0 + np.exp(-np.clip(features @ theta, -40, 40)))
        gradient = features.T @ (predicted - target) + l2 * theta
        curvature = (features * (predicted * (1 - predicted))[:, None]).T @ features
        theta -= np.linalg.solve(curvature + l2 * np.eye(len(theta)), gradient)
    weights = (float(theta[0]), float(theta[1]), float(theta[2]))
    return ConfidenceModel(weights, float(theta[3]))


# Same fit with the adapter (training views + enrollment photos), geometry and multi-crop on
# (benchmark run ``--shots 5 --holdout-products 20``, final stage). The inlier weight is
# negative here because the score already carries the geometric boost; forcing it to 0
# measured worse on val (AUROC 0.685 vs 0.711, false matches 19.6 % vs 16.1 %, before the
# pile views; this fit: AUROC 0.723).
CONFIDENCE_WITH_ADAPTER = ConfidenceModel((2.85, 7.53, -0.43), -2.63)

# The short-list models: probability that the first SHORTLIST_SIZE products hold the right one
# (``shortlist_cues``), fitted like the models above (``fit_confidence`` with that label) by the
# benchmark on 300 Grocery train photos (``--shots 5 --holdout-products 20``, 2026-12-01): the
# "+ geometry" stage without the adapter, the final stage (adapter, geometry, multi-crop) with it.
SHORTLIST_CONFIDENCE = ConfidenceModel((6.67, 5.25, -0.96), -4.42)
SHORTLIST_WITH_ADAPTER = ConfidenceModel((2.89, 4.53, -0.60), -2.13)
