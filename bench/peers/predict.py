"""The course workshop's churn service (FastAPI + Pydantic + uvicorn), as a benchmark peer for churn-scorer.

Same shape as the workshop's predict.py: a Pydantic Customer with Literal categoricals, a PredictResponse with
churn_probability and churn, the pickled pipeline loaded once at import, POST /predict. It loads this
repository's artifact instead of a local model.bin.

Run (see README.md):  uvicorn predict:app --host 127.0.0.1 --port 9696
"""

import os
import pickle
from pathlib import Path
from typing import Literal

import uvicorn
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_FILE = Path(os.environ.get("MODEL_BIN", REPO_ROOT / "models" / "churn" / "1.0.0" / "model.bin"))


class Customer(BaseModel):
    gender: Literal["male", "female"]
    seniorcitizen: Literal[0, 1]
    partner: Literal["yes", "no"]
    dependents: Literal["yes", "no"]
    phoneservice: Literal["yes", "no"]
    multiplelines: Literal["no", "yes", "no_phone_service"]
    internetservice: Literal["dsl", "fiber_optic", "no"]
    onlinesecurity: Literal["no", "yes", "no_internet_service"]
    onlinebackup: Literal["no", "yes", "no_internet_service"]
    deviceprotection: Literal["no", "yes", "no_internet_service"]
    techsupport: Literal["no", "yes", "no_internet_service"]
    streamingtv: Literal["no", "yes", "no_internet_service"]
    streamingmovies: Literal["no", "yes", "no_internet_service"]
    contract: Literal["month-to-month", "one_year", "two_year"]
    paperlessbilling: Literal["yes", "no"]
    paymentmethod: Literal[
        "electronic_check",
        "mailed_check",
        "bank_transfer_(automatic)",
        "credit_card_(automatic)",
    ]
    tenure: int = Field(..., ge=0)
    monthlycharges: float = Field(..., ge=0.0)
    totalcharges: float = Field(..., ge=0.0)


class PredictResponse(BaseModel):
    churn_probability: float
    churn: bool


app = FastAPI(title="customer-churn-prediction")

with open(MODEL_FILE, "rb") as f_in:
    pipeline = pickle.load(f_in)


def predict_single(customer: dict) -> float:
    # As the notes' service calls it: one customer dict in a list, probability of class 1.
    result = pipeline.predict_proba([customer])[0, 1]
    return float(result)


@app.get("/ping", response_class=PlainTextResponse)
def ping() -> str:
    return "PONG"


@app.post("/predict")
def predict(customer: Customer) -> PredictResponse:
    prob = predict_single(customer.model_dump())
    return PredictResponse(churn_probability=prob, churn=prob >= 0.5)


if __name__ == "__main__":
    uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=int(os.environ.get("PORT", "9696")))
