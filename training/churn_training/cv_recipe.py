"""C chosen by cross-validation, as the course's model-evaluation lesson does it (module 4, "Cross-Validation").

The lesson runs KFold(n_splits=5, shuffle=True, random_state=1) over the full-train split for each C of
[0.001, 0.01, 0.1, 0.5, 1, 5, 10], fits the notes' DictVectorizer + LogisticRegression on four folds, scores
the fifth with ROC AUC, and compares the mean (and std) per C. The best mean is taken here; the lesson itself
keeps C=1.0, which is what the `notes` recipe does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

from . import notes_recipe as recipe

N_SPLITS = 5
SHUFFLE = True
KFOLD_RANDOM_STATE = 1
# Floats, so model.json records every C the same way (the lesson writes 1, 5, 10; sklearn fits the same model).
C_GRID = (0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 10.0)


@dataclass(frozen=True)
class CvScore:
    c: float
    fold_roc_aucs: tuple[float, ...]

    @property
    def mean(self) -> float:
        return float(np.mean(self.fold_roc_aucs))

    @property
    def std(self) -> float:
        # np.std's default (population, ddof=0), as the lesson prints it.
        return float(np.std(self.fold_roc_aucs))


def cross_validate(df_full_train: pd.DataFrame) -> tuple[CvScore, ...]:
    scores = []
    for c in C_GRID:
        kfold = KFold(n_splits=N_SPLITS, shuffle=SHUFFLE, random_state=KFOLD_RANDOM_STATE)
        aucs = []
        for train_idx, val_idx in kfold.split(df_full_train):
            df_train = df_full_train.iloc[train_idx]
            df_val = df_full_train.iloc[val_idx]
            pipeline = recipe.fit(df_train, c)
            aucs.append(float(roc_auc_score(df_val.churn.values, recipe.predict(pipeline, df_val))))
        scores.append(CvScore(c=c, fold_roc_aucs=tuple(aucs)))
    return tuple(scores)


def best(scores: tuple[CvScore, ...]) -> CvScore:
    """Highest mean ROC AUC; on an exact tie the smaller C (stronger regularization) wins."""
    return max(scores, key=lambda s: (s.mean, -s.c))
