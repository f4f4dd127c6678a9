"""The training recipes `train.py --recipe` can pick: how C is chosen before the final fit on full-train.

- `notes`: C=1.0, as the course notes train the deployed model (models/churn/1.0.0).
- `cv-c`: C with the best mean 5-fold ROC AUC on full-train (cv_recipe.py), as in the model-evaluation lesson.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import cv_recipe
from . import notes_recipe as recipe

NOTES = "notes"
CV_C = "cv-c"
RECIPES = (NOTES, CV_C)


@dataclass(frozen=True)
class ChosenC:
    recipe: str
    c: float
    # Empty for `notes`; one entry per C of the grid for `cv-c`.
    cv_scores: tuple[cv_recipe.CvScore, ...]


def choose_c(recipe_name: str, df_full_train: pd.DataFrame) -> ChosenC:
    if recipe_name == NOTES:
        return ChosenC(recipe=NOTES, c=recipe.C, cv_scores=())
    if recipe_name == CV_C:
        scores = cv_recipe.cross_validate(df_full_train)
        return ChosenC(recipe=CV_C, c=cv_recipe.best(scores).c, cv_scores=scores)
    raise ValueError(f"unknown recipe {recipe_name!r}; expected one of {', '.join(RECIPES)}")
