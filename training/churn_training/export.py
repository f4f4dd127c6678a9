"""Imperative shell of the training: read the CSV, choose C by the recipe, fit as the notes do, write the artifact."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import pandas as pd

from . import notes_recipe as recipe
from .artifact import DataInfo, TrainingRun, examples, model_json, parity_records
from .json_files import dumps_line, dumps_pretty, write_text
from .model_card import render
from .recipes import choose_c

ARTIFACT_FILES = ("model.json", "model.bin", "parity.jsonl", "examples.json", "README.md")


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def train(data_path: Path, data_label: str, recipe_name: str) -> TrainingRun:
    df_raw = pd.read_csv(data_path)
    df = recipe.prepare(df_raw)
    split = recipe.split(df)
    chosen = choose_c(recipe_name, split.full_train)
    pipeline = recipe.fit(split.full_train, chosen.c)
    y_test_pred = recipe.predict(pipeline, split.test)
    metrics = recipe.evaluate(split.test.churn.values, y_test_pred)
    data = DataInfo(
        file=data_label,
        sha256=sha256_of(data_path),
        rows=int(len(df_raw)),
        blank_totalcharges=int(pd.to_numeric(df_raw["TotalCharges"], errors="coerce").isna().sum()),
    )
    return TrainingRun(
        df_raw=df_raw,
        split=split,
        chosen=chosen,
        pipeline=pipeline,
        y_test_pred=y_test_pred,
        metrics=metrics,
        data=data,
    )


def write_artifact(run: TrainingRun, out_dir: Path, version: str, created_at: str) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    model = model_json(run, version, created_at)
    scored_examples = examples(run.pipeline)

    write_text(out_dir / "model.json", dumps_pretty(model, "model.json"))
    with open(out_dir / "model.bin", "wb") as f_out:
        pickle.dump(run.pipeline, f_out)
    write_text(
        out_dir / "parity.jsonl",
        "".join(dumps_line(r, f"parity.jsonl[{i}]") for i, r in enumerate(parity_records(run))),
    )
    write_text(out_dir / "examples.json", dumps_pretty(scored_examples, "examples.json"))
    write_text(out_dir / "README.md", render(model, scored_examples, run.data.blank_totalcharges, run.chosen))
    return {"model": model, "examples": scored_examples}
