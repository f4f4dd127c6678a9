"""The model card (README.md of the artifact), rendered from the same numbers that go into model.json."""

from __future__ import annotations

from .cv_recipe import KFOLD_RANDOM_STATE, N_SPLITS, SHUFFLE
from .notes_recipe import C as NOTES_C
from .recipes import NOTES, ChosenC


def _top_coefficients(model: dict, n: int, reverse: bool) -> list[tuple[str, float]]:
    pairs = list(zip(model["features"], model["coefficients"]))
    return sorted(pairs, key=lambda p: p[1], reverse=reverse)[:n]


def _how_trained(chosen: ChosenC) -> str:
    if chosen.recipe == NOTES:
        return "trained exactly as the course notes train it"
    return (
        f"trained as the course notes train it except for C={chosen.c:g}, chosen by {N_SPLITS}-fold cross-validation on the\n"
        "full-train split as in the course's model-evaluation lesson (module 4)"
    )


def _cv_step(chosen: ChosenC) -> str:
    if chosen.recipe == NOTES:
        return ""
    grid = ", ".join(f"{s.c:g}" for s in chosen.cv_scores)
    return (
        f"4. C: `KFold(n_splits={N_SPLITS}, shuffle={SHUFFLE}, random_state={KFOLD_RANDOM_STATE})` over the full-train "
        f"split; for each C in\n   [{grid}] the pipeline of step 5 is fitted on four folds and scored (ROC AUC) on "
        f"the fifth;\n   the C with the best mean wins: C={chosen.c:g} (table below).\n"
    )


def _cv_section(chosen: ChosenC) -> str:
    if chosen.recipe == NOTES:
        return ""
    rows = "\n".join(
        f"| {s.c:g} | {s.mean:.6f} | {s.std:.6f} | {'chosen' if s.c == chosen.c else ''} |"
        for s in chosen.cv_scores
    )
    return f"""## Choice of C ({N_SPLITS}-fold cross-validation on full-train)
| C | mean ROC AUC | std | |
| --- | --- | --- | --- |
{rows}

(`model.json` keeps these in `metrics` as `cv_roc_auc_mean[C=...]` / `cv_roc_auc_std[C=...]`, full precision.)

"""


def _c_limitation(chosen: ChosenC) -> str:
    if chosen.recipe == NOTES:
        return "One train/test split, no cross-validated choice of C here (the course chose C=1.0); the test AUC has sampling noise."
    picked = next(s for s in chosen.cv_scores if s.c == chosen.c)
    notes_c = next((s for s in chosen.cv_scores if s.c == NOTES_C), None)
    if notes_c is None:
        return "C was chosen by cross-validation on full-train; the test AUC has sampling noise."
    gain = picked.mean - notes_c.mean
    than = "less" if gain < picked.std else "more"
    return (
        f"C was chosen by cross-validation on full-train: its mean AUC beats the notes' C=1.0 by {gain:.4f}, {than} "
        f"than\n  one fold-to-fold std ({picked.std:.4f}); the test AUC has sampling noise."
    )


def _share(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%"


def _edge(value) -> str:
    return f"{value:g}"


def _numeric_bins(edges: list, counts: list[int], total: int) -> str:
    labels = [f"<{_edge(edges[0])}"]
    labels += [f"[{_edge(a)}, {_edge(b)})" for a, b in zip(edges, edges[1:])]
    labels.append(f">={_edge(edges[-1])}")
    return " · ".join(f"{label} {_share(c, total)}" for label, c in zip(labels, counts))


def _reference_section(model: dict) -> str:
    ref = model.get("reference")
    if ref is None:
        return ""
    rows = ref["rows"]
    numeric = "\n".join(
        f"| `{name}` | {_edge(r['min'])} | {_edge(r['max'])} | {_numeric_bins(r['edges'], r['counts'], rows)} |"
        for name, r in ref["numeric"].items()
    )
    categorical = "\n".join(
        f"| `{name}` | "
        + " · ".join(f"{v} {_share(c, rows)}" for v, c in zip(r["categories"], r["counts"]))
        + f" · (unseen) {_share(r['unseen'], rows)} |"
        for name, r in ref["categorical"].items()
    )
    bins = ref["score"]["bins"]
    score_head = " | ".join(f"{i / bins:g}-{(i + 1) / bins:g}" for i in range(bins))
    score_shares = " | ".join(_share(c, rows) for c in ref["score"]["counts"])
    return f"""## Reference distributions ({ref['split'].replace('_', '-')}, {rows} customers)
The training data as the scorer's drift monitor compares live windows with it (PSI per feature and of the score).
`model.json` keeps the counts in `reference`; shares here are of the {rows} customers.

Numeric features, binned at the training deciles: a bin `[a, b)` holds a <= x < b; the end bins are open, so
a live value outside the training range [min, max] still lands in one (the monitor also counts it as out of range).

| feature | min | max | bins (share) |
| --- | --- | --- | --- |
{numeric}

Categorical features (category frequencies; `unseen`, a value the model has no coefficient for, is 0 in training):

| feature | categories (share) |
| --- | --- |
{categorical}

Score (`churn_probability` of the full-train customers, {bins} equal bins on [0, 1], 1 in the last):

| {score_head} |
|{' --- |' * bins}
| {score_shares} |

"""


def _train_command(chosen: ChosenC, version: str) -> str:
    if chosen.recipe == NOTES:
        return f"`npm run train` (runs `scripts/train.sh`: installs the pinned uv and the locked environment, then\n  `training/train.py --version {version}`)"
    return (
        f"`npm run train -- --version {version} --recipe {chosen.recipe}` (runs `scripts/train.sh`: installs the pinned uv "
        f"and the\n  locked environment, then `training/train.py --version {version} --recipe {chosen.recipe}`)"
    )


def render(model: dict, examples: dict, blank_totalcharges: int, chosen: ChosenC) -> str:
    m = model["metrics"]
    t = model["training"]
    d = model["data"]
    version = model["version"]
    rising = "\n".join(f"| `{f}` | {c:+.4f} |" for f, c in _top_coefficients(model, 5, reverse=True))
    falling = "\n".join(f"| `{f}` | {c:+.4f} |" for f, c in _top_coefficients(model, 5, reverse=False))
    example_rows = "\n".join(
        f"| {e['name']} | {e['customer'].get('customerid', '(none)')} | {e['customer']['contract']} | "
        f"{e['customer']['tenure']} | {e['churn_probability']:.4f} | {str(e['churn']).lower()} |"
        for e in examples["examples"]
    )
    return f"""# Model card: churn {version}

Logistic-regression churn model of the ML Zoomcamp course (module 5, "Deploying Machine Learning Models"),
{_how_trained(chosen)}, and exported in a portable form for the TypeScript scorer.

## Intended use
- Scores how likely a telco customer is to cancel (churn), as the course's churn service does, so a marketing
  service can decide whom to send a retention offer. Output: `churn_probability` in [0, 1] and
  `churn = churn_probability >= {model['threshold']}`.
- A teaching/demo model for the churn-scorer stream and HTTP side-port. It is not validated for decisions about
  real people; a threshold of {model['threshold']} is the course's choice, not a tuned operating point.

## Data
- `{d['file']}`: IBM's public sample data set "Telco Customer Churn" ({d['rows']} customers, one row each), the
  copy used by ML Zoomcamp. sha256 `{d['sha256']}`. See `data/README.md`.
- Split as the notes do: `train_test_split(df, test_size={t['test_size']}, random_state={t['random_state']})` ->
  {m['n_full_train']} full-train customers (fit) and {m['n_test']} test customers (metrics, parity fixture).

## Training procedure
1. Column names lower-cased, spaces -> `_`; every string column's values lower-cased, spaces -> `_`.
2. `totalcharges` -> number with `errors='coerce'`, the {blank_totalcharges} blank values filled with 0; `churn` = (`churn == 'yes'`).
3. Features: numerical {', '.join(model['preprocessing']['numerical'])}; the 16 categorical columns of the notes.
   `seniorcitizen` is an integer 0/1 in the data, so DictVectorizer keeps it as one numeric feature.
{_cv_step(chosen)}{4 if chosen.recipe == NOTES else 5}. `{model['estimator']}` fitted on the full-train records (`to_dict(orient='records')`).
   Solver {t['solver']}, {t['n_iter']} iterations.

Versions: Python {t['python_version']}, scikit-learn {t['sklearn_version']}, scipy {t['scipy_version']},
numpy {t['numpy_version']}, pandas {t['pandas_version']} (all pinned by `training/uv.lock`). scikit-learn 1.3.2 is
kept on purpose: from 1.4 on, the same code stops lbfgs at a different point and no longer reproduces the notes'
numbers.

{_cv_section(chosen)}## Metrics (test split, {m['n_test']} customers)
| metric | value |
| --- | --- |
| ROC AUC | {m['test_roc_auc']:.6f} |
| accuracy at threshold {model['threshold']} | {m['test_accuracy_at_threshold']:.6f} |
| churn rate | {m['test_churn_rate']:.6f} |

## The notes' example customers
| example | customerid | contract | tenure | churn_probability | churn |
| --- | --- | --- | --- | --- | --- |
{example_rows}

(`examples.json` holds them with full precision.)

## What drives the score
Largest positive coefficients (raise churn probability):

| feature | coefficient |
| --- | --- |
{rising}

Largest negative coefficients:

| feature | coefficient |
| --- | --- |
{falling}

Numeric features are not scaled (as in the notes), so `tenure`, `monthlycharges` and `totalcharges` coefficients
are per unit and not comparable in size with the one-hot ones.

{_reference_section(model)}## Limitations and bias
- The data is a single, small, fictional sample from one telco; scores do not transfer to other companies,
  markets or time periods, and probabilities are not calibrated for them.
- `gender` and `seniorcitizen` (an age proxy) are model inputs, as in the course. Using such attributes for
  offers or pricing may be unfair or unlawful; check coefficients and outcomes per group before any real use.
- {_c_limitation(chosen)}
- Category values never seen in training get all-zero one-hot columns (DictVectorizer's behaviour), so such a
  customer is scored as if that field were absent; the scorer reports this as a warning.

## Files
- `model.json`: format `{model['format']}`: feature names in DictVectorizer order, coefficients, intercept,
  threshold, preprocessing rules, categories and numeric ranges seen in training, metrics, versions, data hash,
  and the reference distributions of the full-train split (`reference`, above).
- `model.bin`: the pickled scikit-learn Pipeline, as the notes do (load only with the locked environment;
  never unpickle files you do not trust).
- `parity.jsonl`: all {m['n_test']} test customers with the CSV's raw spellings, the normalized features and
  sklearn's `predict_proba`, for the scorer's parity tests.
- `examples.json`: the notes' two customers with their sklearn probabilities.

## How to regenerate and verify
- {_train_command(chosen, version)}. The same lock, data and creation time give byte-identical files.
- `bash scripts/uv.sh run --frozen --project training python training/train.py --version {version} --check`
  retrains in a temporary directory and compares every file byte for byte with this folder.
"""
