"""Where a run keeps its files: the dataset snapshot, the fitted models and the computed lists.

A retrain passes the dataset from its prepare task to its fit tasks through these files, so a
run always needs a folder, even in-process. One folder per run under ``MODEL_DIR``; workers on
several machines must share it (a network volume), since a fit task reads the dataset the
prepare task wrote. With ``MODEL_DIR = None`` the folder is a temporary one on this machine
(one per database, so two shops on one server never prune each other's runs), and a run leaves
nothing in it: its folder is deleted when it publishes or fails, fitted models included. With a
``MODEL_DIR`` the fitted ``model-*.npz`` of the kept versions stay there.

What a kept file holds of the shop's people: no user id, customer reference or date (the dataset
snapshot, which maps customers to users, and the computed lists, which name the users of personal
lists, are deleted at publish). The session-kNN (``UserCF``, part of the default ``Hybrid``)
keeps the order rows it matches baskets against, so its file holds every order's basket as a row
of product indices, without anyone's id. A forget does not rewrite these files; they go with
their version (``KEEP_VERSIONS``), or set ``MODEL_DIR = None`` to keep none.

Files are written to a temporary name and renamed, so a task killed half-way never leaves a
truncated file that a redelivered task would trust.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings

from ..conf import crosssell_settings

DATASET = "dataset.npz"


def model_root() -> Path:
    """Return the folder of the runs' folders: ``MODEL_DIR``, else a temporary folder of this database."""
    if crosssell_settings.MODEL_DIR is not None:
        return crosssell_settings.MODEL_DIR
    database = settings.DATABASES["default"]
    where = "|".join(str(database.get(key) or "") for key in ("ENGINE", "HOST", "PORT", "NAME"))
    return Path(tempfile.gettempdir()) / f"crosssell-runs-{hashlib.sha256(where.encode()).hexdigest()[:12]}"


def keeps_models() -> bool:
    """Return True when fitted models outlive their run (only in a configured ``MODEL_DIR``)."""
    return crosssell_settings.MODEL_DIR is not None


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
    """Delete a run's working files; with ``keep_models`` (and a ``MODEL_DIR``) the fitted models stay."""
    path = run_dir(run_id)
    if not path.exists():
        return
    if not (keep_models and keeps_models()):
        shutil.rmtree(path, ignore_errors=True)
        return
    for child in path.iterdir():
        if not child.name.startswith("model-"):
            child.unlink(missing_ok=True)


def run_ids_on_disk() -> list[int]:
    """Return the ids of the runs that have a folder under the model root."""
    root = model_root()
    if not root.exists():
        return []
    return [int(child.name[4:]) for child in root.glob("run-*") if child.name[4:].isascii()
            and child.name[4:].isdigit()]


def prune_run_dirs(keep_run_ids: set[int]) -> None:
    """Delete the folders of every run not in ``keep_run_ids`` (those of the kept versions)."""
    for run_id in run_ids_on_disk():
        if run_id not in keep_run_ids:
            shutil.rmtree(run_dir(run_id), ignore_errors=True)
