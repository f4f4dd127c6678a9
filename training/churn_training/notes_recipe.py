"""The course notes' training recipe, step for step.

Every transformation here mirrors the notes (module 5, "Saving and loading the model"); the artifact
that src/model reads is only correct if this stays exactly as the notes wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline

TEST_SIZE = 0.2
RANDOM_STATE = 1
C = 1.0
MAX_ITER = 1000
THRESHOLD = 0.5

NUMERICAL = ["tenure", "monthlycharges", "totalcharges"]

CATEGORICAL = [
    "gender",
    "seniorcitizen",
    "partner",
    "dependents",
    "phoneservice",
    "multiplelines",
    "internetservice",
    "onlinesecurity",
    "onlinebackup",
    "deviceprotection",
    "techsupport",
    "streamingtv",
    "streamingmovies",
    "contract",
    "paperlessbilling",
    "paymentmethod",
]

# seniorcitizen is an int 0/1 in the CSV, so the notes' lower-casing skips it and DictVectorizer
# treats it as one numeric feature named "seniorcitizen" rather than one-hot columns.
NUMERIC_VALUED_CATEGORICALS = ["seniorcitizen"]
STRING_CATEGORICAL = [c for c in CATEGORICAL if c not in NUMERIC_VALUED_CATEGORICALS]


def estimator(c: float) -> str:
    """The estimator as the notes write it, with the C it was fitted with (1.0 in the notes)."""
    return f"make_pipeline(DictVectorizer(sparse=False), LogisticRegression(C={c!r}, max_iter={MAX_ITER}))"


def prepare(df_raw: pd.DataFrame) -> pd.DataFrame:
    """The notes' cleaning: lower-case names and string values, spaces -> '_', blank totalcharges -> 0, churn -> 0/1."""
    df = df_raw.copy()
    df.columns = df.columns.str.lower().str.replace(" ", "_")

    categorical_columns = list(df.dtypes[df.dtypes == "object"].index)
    for c in categorical_columns:
        df[c] = df[c].str.lower().str.replace(" ", "_")

    df.totalcharges = pd.to_numeric(df.totalcharges, errors="coerce")
    df.totalcharges = df.totalcharges.fillna(0)

    df.churn = (df.churn == "yes").astype(int)
    return df


@dataclass(frozen=True)
class Split:
    full_train: pd.DataFrame
    test: pd.DataFrame


def split(df: pd.DataFrame) -> Split:
    df_full_train, df_test = train_test_split(df, test_size=TEST_SIZE, random_state=RANDOM_STATE)
    return Split(full_train=df_full_train, test=df_test)


def to_records(df: pd.DataFrame) -> list[dict]:
    """The dicts fed to the DictVectorizer, as the notes build them."""
    return df[CATEGORICAL + NUMERICAL].to_dict(orient="records")


def fit(df_train: pd.DataFrame, c: float = C) -> Pipeline:
    pipeline = make_pipeline(
        DictVectorizer(sparse=False),
        LogisticRegression(C=c, max_iter=MAX_ITER),
    )
    pipeline.fit(to_records(df_train), df_train.churn.values)
    return pipeline


def predict(pipeline: Pipeline, df: pd.DataFrame) -> np.ndarray:
    return pipeline.predict_proba(to_records(df))[:, 1]


@dataclass(frozen=True)
class TestMetrics:
    roc_auc: float
    churn_rate: float
    accuracy_at_threshold: float


def evaluate(y_true: np.ndarray, y_pred: np.ndarray) -> TestMetrics:
    return TestMetrics(
        roc_auc=float(roc_auc_score(y_true, y_pred)),
        churn_rate=float(np.mean(y_true)),
        accuracy_at_threshold=float(np.mean((y_pred >= THRESHOLD) == (y_true == 1))),
    )
