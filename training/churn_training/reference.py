"""Reference distributions of the training data, written into model.json's `reference` section.

The scorer's drift monitor (src/monitoring) compares live windows with these counts (PSI), so the binning rules
here and in src/monitoring/ must stay the same:

- numeric features (the notes' NUMERICAL: tenure, monthlycharges, totalcharges): the edges are the 10th, 20th,
  ..., 90th percentiles of the full-train values with numpy's method "lower" (every edge is a value seen in
  training, so it is written exactly), duplicates dropped. A value x falls in bin i = the number of edges <= x,
  so bin i holds [edges[i-1], edges[i]), the first bin is open below and the last open above: a live value
  outside the training range still lands in an end bin (the monitor counts it as out of range on the side).
  Deciles give every bin about a tenth of the customers, so the PSI weighs every part of the distribution alike
  and no bin is empty in training; fixed domain bins (e.g. tenure by year) would leave the charges' long tail
  in a few sparse bins.
- categorical features (the notes' CATEGORICAL, seniorcitizen included: it is 0/1): the count of each category
  in the artifact's category order, plus `unseen` (values the model has no coefficient for), 0 in training.
- the score: the fitted pipeline's predict_proba on the full-train customers over 10 equal bins on [0, 1],
  bin = floor(score * 10), 1 in the last bin (as src/rollout/score-histogram.ts bins scores).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from . import notes_recipe as recipe

SPLIT = "full_train"
DECILES = [i / 10 for i in range(1, 10)]
QUANTILE_METHOD = "lower"
SCORE_BINS = 10


def _native(value):
    return value.item() if isinstance(value, np.generic) else value


def numeric_edges(values: np.ndarray) -> list:
    return [_native(e) for e in np.unique(np.quantile(values, DECILES, method=QUANTILE_METHOD))]


def numeric_counts(values: np.ndarray, edges: list) -> list[int]:
    bins = np.searchsorted(np.asarray(edges), values, side="right")
    return [int(c) for c in np.bincount(bins, minlength=len(edges) + 1)]


def _numeric(values: np.ndarray) -> dict:
    edges = numeric_edges(values)
    return {
        "edges": edges,
        "counts": numeric_counts(values, edges),
        "min": _native(values.min()),
        "max": _native(values.max()),
    }


def _categorical(column: pd.Series) -> dict:
    categories = sorted(_native(v) for v in column.unique())
    frequencies = column.value_counts()
    return {
        "categories": categories,
        "counts": [int(frequencies[c]) for c in categories],
        "unseen": 0,
    }


def score_bin(score: float) -> int:
    return min(math.floor(score * SCORE_BINS), SCORE_BINS - 1)


def score_counts(scores: np.ndarray) -> list[int]:
    counts = [0] * SCORE_BINS
    for s in scores:
        counts[score_bin(float(s))] += 1
    return counts


def reference(full_train: pd.DataFrame, full_train_scores: np.ndarray) -> dict:
    if len(full_train_scores) != len(full_train):
        raise ValueError(f"reference: {len(full_train_scores)} scores for {len(full_train)} customers")
    return {
        "split": SPLIT,
        "rows": int(len(full_train)),
        "numeric": {n: _numeric(full_train[n].values) for n in recipe.NUMERICAL},
        "categorical": {c: _categorical(full_train[c]) for c in recipe.CATEGORICAL},
        "score": {"bins": SCORE_BINS, "counts": score_counts(full_train_scores)},
    }
