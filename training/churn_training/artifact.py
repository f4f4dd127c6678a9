"""Builds the contents of models/churn/<version>/ (see notes/INTERFACES.md) from a fitted pipeline."""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy
import sklearn
from sklearn.pipeline import Pipeline

from . import cv_recipe
from . import notes_recipe as recipe
from . import reference as reference_mod
from .notes_customers import NOTES_CUSTOMERS
from .raw_records import customer_id, raw_feature_record
from .recipes import NOTES, ChosenC

FORMAT = "churn-scorer.logistic-dv/1"
MODEL_NAME = "churn"


@dataclass(frozen=True)
class DataInfo:
    file: str
    sha256: str
    rows: int
    blank_totalcharges: int


@dataclass(frozen=True)
class TrainingRun:
    df_raw: pd.DataFrame
    split: recipe.Split
    chosen: ChosenC
    pipeline: Pipeline
    y_test_pred: np.ndarray
    metrics: recipe.TestMetrics
    data: DataInfo


def _native(value):
    """numpy scalars -> Python int/float, so json writes them (floats via repr, exactly)."""
    return value.item() if isinstance(value, np.generic) else value


def _categories(df_full_train: pd.DataFrame) -> dict[str, list[str]]:
    return {c: sorted(str(v) for v in df_full_train[c].unique()) for c in recipe.STRING_CATEGORICAL}


def _numeric_ranges(df_full_train: pd.DataFrame) -> dict[str, dict]:
    names = recipe.NUMERICAL + recipe.NUMERIC_VALUED_CATEGORICALS
    return {n: {"min": _native(df_full_train[n].min()), "max": _native(df_full_train[n].max())} for n in names}


def _cv_key(stat: str, c: float) -> str:
    return f"cv_roc_auc_{stat}[C={c:g}]"


def _cv_metrics(chosen: ChosenC) -> dict:
    """The CV table as flat numbers (model.json's metrics hold numbers only): chosen C first, then C -> mean/std."""
    picked = next(s for s in chosen.cv_scores if s.c == chosen.c)
    table = {"cv_roc_auc_mean": picked.mean, "cv_roc_auc_std": picked.std}
    for score in chosen.cv_scores:
        table[_cv_key("mean", score.c)] = score.mean
        table[_cv_key("std", score.c)] = score.std
    return table


def _cv_training(chosen: ChosenC) -> dict:
    return {
        "recipe": chosen.recipe,
        "cv_n_splits": cv_recipe.N_SPLITS,
        "cv_shuffle": cv_recipe.SHUFFLE,
        "cv_random_state": cv_recipe.KFOLD_RANDOM_STATE,
        "cv_c_grid": ", ".join(f"{s.c:g}" for s in chosen.cv_scores),
        "cv_scoring": "roc_auc",
    }


def model_json(run: TrainingRun, version: str, created_at: str) -> dict:
    dv = run.pipeline.steps[0][1]
    lr = run.pipeline.steps[-1][1]
    features = [str(f) for f in dv.feature_names_]
    coefficients = [float(c) for c in lr.coef_[0]]
    if len(features) != len(coefficients):
        raise ValueError(f"model.json: {len(features)} features but {len(coefficients)} coefficients")
    # The notes recipe writes no recipe/CV keys, so models/churn/1.0.0 keeps its bytes.
    cv_metrics = {} if run.chosen.recipe == NOTES else _cv_metrics(run.chosen)
    cv_training = {} if run.chosen.recipe == NOTES else _cv_training(run.chosen)
    return {
        "format": FORMAT,
        "name": MODEL_NAME,
        "version": version,
        "created_at": created_at,
        "estimator": recipe.estimator(run.chosen.c),
        "features": features,
        "coefficients": coefficients,
        "intercept": float(lr.intercept_[0]),
        "threshold": recipe.THRESHOLD,
        "preprocessing": {
            "numerical": list(recipe.NUMERICAL),
            "categorical": list(recipe.CATEGORICAL),
            "categorical_normalization": "lowercase; ' ' -> '_'",
            "column_names": "lowercase; ' ' -> '_'",
            "totalcharges_blank": 0,
            "numeric_valued_categoricals": list(recipe.NUMERIC_VALUED_CATEGORICALS),
        },
        "categories": _categories(run.split.full_train),
        "numeric_ranges": _numeric_ranges(run.split.full_train),
        "metrics": {
            "test_roc_auc": run.metrics.roc_auc,
            "n_full_train": int(len(run.split.full_train)),
            "n_test": int(len(run.split.test)),
            "test_churn_rate": run.metrics.churn_rate,
            "test_accuracy_at_threshold": run.metrics.accuracy_at_threshold,
            **cv_metrics,
        },
        "training": {
            "sklearn_version": sklearn.__version__,
            "numpy_version": np.__version__,
            "pandas_version": pd.__version__,
            "scipy_version": scipy.__version__,
            # major.minor only: the lock pins Python 3.11.*, and a patch release changes no number here.
            "python_version": ".".join(platform.python_version_tuple()[:2]),
            "test_size": recipe.TEST_SIZE,
            "random_state": recipe.RANDOM_STATE,
            "C": run.chosen.c,
            "max_iter": recipe.MAX_ITER,
            "solver": str(lr.solver),
            "n_iter": int(lr.n_iter_[0]),
            **cv_training,
        },
        "data": {"file": run.data.file, "sha256": run.data.sha256, "rows": run.data.rows},
        # Last, so the sections before it keep their bytes; the drift monitor's baseline (reference.py).
        "reference": reference_mod.reference(run.split.full_train, recipe.predict(run.pipeline, run.split.full_train)),
    }


def parity_records(run: TrainingRun) -> list[dict]:
    """One record per test customer, in df_test order, with sklearn's probability as computed in the batch."""
    test = run.split.test
    features = recipe.to_records(test)
    records = []
    for i, index_label in enumerate(test.index):
        raw_row = run.df_raw.loc[index_label]
        prepared_row = test.loc[index_label]
        records.append(
            {
                "customerid": customer_id(raw_row),
                "raw": raw_feature_record(raw_row, prepared_row),
                "features": {k: _native(v) for k, v in features[i].items()},
                "churn": int(prepared_row["churn"]),
                "churn_probability": float(run.y_test_pred[i]),
            }
        )
    return records


def examples(pipeline: Pipeline) -> dict:
    scored = []
    for example in NOTES_CUSTOMERS:
        # As the notes' service does it: one dict in a list, probability of class 1.
        probability = float(pipeline.predict_proba([example["customer"]])[0, 1])
        scored.append(
            {
                "name": example["name"],
                "source": example["source"],
                "customer": example["customer"],
                "churn_probability": probability,
                "churn": probability >= recipe.THRESHOLD,
            }
        )
    return {
        "description": "The course notes' example customers, as the notes write them, scored by the pickled pipeline "
        "(pipeline.predict_proba([customer])[0, 1]).",
        "examples": scored,
    }
