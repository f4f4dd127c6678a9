"""Test customers with the CSV's own spellings, so the TypeScript contract's normalization gets exercised."""

from __future__ import annotations

import pandas as pd

from .notes_recipe import CATEGORICAL, NUMERICAL, STRING_CATEGORICAL


def raw_feature_record(raw_row: pd.Series, prepared_row: pd.Series) -> dict:
    """The 19 features under the notes' lower-case names, string values spelled as in the CSV.

    Numbers come from the prepared row: they are the exact floats the model saw, and a blank
    TotalCharges is already the 0 the notes fill in.
    """
    by_normalized_name = {str(k).lower().replace(" ", "_"): v for k, v in raw_row.items()}
    record: dict = {}
    for name in CATEGORICAL + NUMERICAL:
        if name in STRING_CATEGORICAL:
            record[name] = str(by_normalized_name[name])
        elif name in ("seniorcitizen", "tenure"):
            record[name] = int(prepared_row[name])
        else:
            record[name] = float(prepared_row[name])
    return record


def customer_id(raw_row: pd.Series) -> str:
    return str(raw_row["customerID"])
