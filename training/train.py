"""Train the course's churn model and export models/churn/<version>/.

Usage (from the repository root; `npm run train` does this through scripts/train.sh):
  bash scripts/uv.sh run --frozen --project training python training/train.py [--version 1.0.0] [--data FILE]
  ... training/train.py --version 1.1.0 --recipe cv-c   # C chosen by 5-fold cross-validation
  ... training/train.py --check     # retrain in a temp dir, compare byte for byte with the committed artifact

--recipe (notes | cv-c): without it, the recipe recorded in an existing <version>/model.json is reused (an
artifact without one was trained with `notes`), so regenerating or checking an artifact needs no flag;
a new version defaults to `notes`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
import tempfile
from pathlib import Path

# lbfgs's last bits follow OpenBLAS's kernels (chosen from the CPU: AVX-512 ones differ from AVX2 ones) and its
# thread count; the committed artifacts were computed with the Haswell (AVX2) kernels on 2 threads. OpenBLAS reads
# these when numpy loads, so they are set before anything imports it. Fewer than 2 cores cap the threads at 1.
if platform.machine().lower() in ("x86_64", "amd64"):
    os.environ["OPENBLAS_CORETYPE"] = "Haswell"
os.environ["OPENBLAS_NUM_THREADS"] = "2"

from churn_training import created_at as created_at_mod
from churn_training.export import ARTIFACT_FILES, sha256_of, train, write_artifact
from churn_training.recipes import NOTES, RECIPES
from churn_training.verify import compare_dirs

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO_ROOT / "data" / "WA_Fn-UseC_-Telco-Customer-Churn.csv"
DEFAULT_MODELS_DIR = REPO_ROOT / "models" / "churn"
VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+$")


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Telco CSV (default: data/ of the repository)")
    p.add_argument("--version", default="1.0.0", help="artifact version, MAJOR.MINOR.PATCH (default 1.0.0)")
    p.add_argument("--models-dir", type=Path, default=DEFAULT_MODELS_DIR, help="parent of the version folders")
    p.add_argument("--out", type=Path, default=None, help="write here instead of <models-dir>/<version>")
    p.add_argument("--recipe", choices=RECIPES, default=None, help="how C is chosen (default: the existing artifact's, else notes)")
    p.add_argument("--check", action="store_true", help="retrain in a temp dir and compare with the existing artifact")
    args = p.parse_args(argv)
    if not VERSION_PATTERN.match(args.version):
        p.error(f"--version must look like 1.0.0, got {args.version!r}")
    if not args.data.is_file():
        p.error(f"--data: no such file: {args.data}")
    return args


def data_label(path: Path) -> str:
    resolved = path.resolve()
    try:
        return resolved.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return str(resolved)


def resolve_created_at() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch != "":
        return created_at_mod.from_epoch(epoch)
    print("train: SOURCE_DATE_EPOCH not set; using the current time (the artifact will not be reproducible)", file=sys.stderr)
    return created_at_mod.now()


def resolve_recipe(requested: str | None, artifact_dir: Path) -> str:
    if requested is not None:
        return requested
    model_file = artifact_dir / "model.json"
    if not model_file.is_file():
        return NOTES
    recorded = json.loads(model_file.read_text(encoding="utf-8")).get("training", {}).get("recipe", NOTES)
    if recorded not in RECIPES:
        raise SystemExit(f"train: {model_file} records recipe {recorded!r}; this train.py knows {', '.join(RECIPES)}")
    return recorded


def summarize(out_dir: Path, written: dict, run) -> None:
    model, scored = written["model"], written["examples"]
    print(f"artifact: {out_dir}")
    print(f"recipe: {run.chosen.recipe}, C={run.chosen.c!r}")
    for score in run.chosen.cv_scores:
        chosen = "  <- chosen" if score.c == run.chosen.c else ""
        print(f"  cv C={score.c:g}: mean ROC AUC {score.mean:.6f} +- {score.std:.6f}{chosen}")
    print(f"test ROC AUC: {model['metrics']['test_roc_auc']!r}")
    for e in scored["examples"]:
        print(f"{e['name']}: churn_probability={e['churn_probability']!r} churn={e['churn']}")
    for name in ARTIFACT_FILES:
        print(f"{sha256_of(out_dir / name)}  {name}")


def run_check(args: argparse.Namespace, committed: Path) -> int:
    model_file = committed / "model.json"
    if not model_file.is_file():
        print(f"train --check: no artifact to compare with: {model_file} does not exist", file=sys.stderr)
        return 2
    # The committed creation time is part of the bytes; reuse it so only the training itself is compared.
    committed_created_at = created_at_mod.parse(json.loads(model_file.read_text(encoding="utf-8"))["created_at"])
    recipe_name = resolve_recipe(args.recipe, committed)
    print(f"train --check: recipe {recipe_name}", file=sys.stderr)
    run = train(args.data, data_label(args.data), recipe_name)
    with tempfile.TemporaryDirectory(prefix="churn-check-") as tmp:
        retrained = Path(tmp)
        write_artifact(run, retrained, args.version, committed_created_at)
        results = compare_dirs(committed, retrained, ARTIFACT_FILES)
    for r in results:
        print(f"{'ok  ' if r.same else 'DIFF'} {r.name}: {r.reason}")
    ok = all(r.same for r in results)
    print(f"train --check: {'artifact reproduced byte for byte' if ok else 'artifact NOT reproduced'} ({committed})")
    return 0 if ok else 1


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    out_dir = args.out if args.out is not None else args.models_dir / args.version
    if args.check:
        return run_check(args, out_dir)
    run = train(args.data, data_label(args.data), resolve_recipe(args.recipe, out_dir))
    written = write_artifact(run, out_dir, args.version, resolve_created_at())
    summarize(out_dir, written, run)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
