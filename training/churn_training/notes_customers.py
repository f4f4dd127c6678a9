"""The two customers the course notes score, exactly as the notes write them."""

from __future__ import annotations

# seeds 000, "Saving and loading the model": the first row of the CSV (customerID 7590-VHVEG), no customerid key.
NOTES_CUSTOMER_1 = {
    "gender": "female",
    "seniorcitizen": 0,
    "partner": "yes",
    "dependents": "no",
    "phoneservice": "no",
    "multiplelines": "no_phone_service",
    "internetservice": "dsl",
    "onlinesecurity": "no",
    "onlinebackup": "yes",
    "deviceprotection": "no",
    "techsupport": "no",
    "streamingtv": "no",
    "streamingmovies": "no",
    "contract": "month-to-month",
    "paperlessbilling": "yes",
    "paymentmethod": "electronic_check",
    "tenure": 1,
    "monthlycharges": 29.85,
    "totalcharges": 29.85,
}

# seeds 001, "Usando el modelo": carries a customerid, which the DictVectorizer ignores as an unseen feature.
NOTES_CUSTOMER_2 = {
    "customerid": "8879-zkjof",
    "gender": "female",
    "seniorcitizen": 0,
    "partner": "no",
    "dependents": "no",
    "tenure": 41,
    "phoneservice": "yes",
    "multiplelines": "no",
    "internetservice": "dsl",
    "onlinesecurity": "yes",
    "onlinebackup": "no",
    "deviceprotection": "yes",
    "techsupport": "yes",
    "streamingtv": "yes",
    "streamingmovies": "yes",
    "contract": "one_year",
    "paperlessbilling": "yes",
    "paymentmethod": "bank_transfer_(automatic)",
    "monthlycharges": 79.85,
    "totalcharges": 3320.75,
}

NOTES_CUSTOMERS = [
    {
        "name": "notes-customer-1",
        "source": "course notes, module 5 'Saving and loading the model' (dv.transform([customer]); model.predict_proba(X)[0, 1])",
        "customer": NOTES_CUSTOMER_1,
    },
    {
        "name": "notes-customer-2",
        "source": "course notes, 'Despliegue de modelos' / 'Usando el modelo' (customer 8879-zkjof)",
        "customer": NOTES_CUSTOMER_2,
    },
]
