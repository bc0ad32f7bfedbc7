"""Where a run keeps its files: the dataset snapshot, the fitted models and the computed lists.

One folder per run under ``MODEL_DIR`` (or the system temp folder when it is unset). Workers on
several machines must share ``MODEL_DIR`` (a network volume), since a fit task reads the dataset
the prepare task wrote. Files are written to a temporary name and renamed, so a task killed
half-way never leaves a truncated file that a redelivered task would trust.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..conf import crosssell_settings

DATASET = "dataset.npz"


def model_root() -> Path:
    root = crosssell_settings.MODEL_DIR or Path(tempfile.gettempdir()) / "crosssell-models"
    return Path(root)


def run_dir(run_id: int, create: bool = False) -> Path:
    path = model_root() / f"run-{run_id}"
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path`` and rename it onto ``path`` when the body succeeds."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=path.suffix)
    os.close(handle)
    try:
        yield Path(temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def remove_run_files(run_id: int, keep_models: bool) -> None:
    """Delete a run's working files; with ``keep_models`` the fitted ``model-*.npz`` files stay."""
    path = run_dir(run_id)
    if not path.exists():
        return
    if not keep_models:
        shutil.rmtree(path, ignore_errors=True)
        return
    for child in path.iterdir():
        if not child.name.startswith("model-"):
            child.unlink(missing_ok=True)


def prune_run_dirs(keep_run_ids: set[int]) -> None:
    """Delete the folders of every run not in ``keep_run_ids`` (those of the kept versions)."""
    root = model_root()
    if not root.exists():
        return
    for child in root.glob("run-*"):
        try:
            run_id = int(child.name[4:])
        except ValueError:
            continue
        if run_id not in keep_run_ids:
            shutil.rmtree(child, ignore_errors=True)
