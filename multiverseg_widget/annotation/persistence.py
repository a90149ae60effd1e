"""A session's workspace as it starts: new (its images described once, copies of in-memory
images saved), or restored from a work folder's record, refused when the folder was made for
other images. Nothing here is written before the caller's first commit but image copies."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from ..common.atomic import atomic_write, make_dir
from ..data import Dataset, load
from ..data.dataset import pixel_fingerprint
from ..data.lazy import LazyImages
from .checks import MaxContext
from .propagation import Propagation
from .propagation_results import FolderResults
from .record import ImagesRecord, SessionRecord
from .store import WorkFolder
from .work_folder_errors import WorkFolderError
from .workspace import Workspace


def started_workspace(
    dataset: Dataset,
    store: WorkFolder | None,
    structures: list[str],
    current: str,
    max_context: MaxContext,
) -> Workspace:
    """A new session's workspace at the first image: for a work folder, what the images are
    (their files, or copies of in-memory images saved in the folder).

    Args:
        dataset: the session's images.
        store: its work folder (None: the session lives in memory only).
        structures: the structures' names, in the user's order (label k is the k-th).
        current: the structure annotated first, one of ``structures``.
        max_context: the cap on context items per prediction: an int, "auto" or None (all).
    """
    images = None
    if store is not None:
        source: dict[str, Any]
        if dataset.files:
            source = {"files": list(dataset.files), "axis": dataset.axis}
        else:
            source = {"arrays": save_image_copies(store, dataset.images)}
        images = ImagesRecord(
            dataset.fingerprint(), source, tuple(dataset.names), tuple(dataset.slices)
        )
    workspace = Workspace(dataset, store, images, {}, current, max_context=max_context)
    workspace.structures = {name: workspace.new_structure(name) for name in structures}
    return workspace


def restored_workspace(store: WorkFolder, record: SessionRecord, dataset: Dataset) -> Workspace:
    """The workspace ``record`` describes, on ``dataset``: WorkFolderError if those are not the
    images the folder was made for."""
    fingerprint = dataset.fingerprint()
    if len(dataset) != len(record.images.names) or not _same_images(record, fingerprint, dataset):
        raise WorkFolderError(
            f"{store.path} belongs to a different dataset: the images it was made for "
            "have changed or are not the ones found now; it was left as it is (choose "
            "another work folder for these images)"
        )
    kept = record.images
    images = kept if kept.fingerprint == fingerprint else replace(kept, fingerprint=fingerprint)
    # (a folder of version 2 kept a digest of the pixels: now of the files)
    workspace = Workspace(
        dataset, store, images, {}, record.structure, record.position, record.max_context,
        record.view,
    )  # fmt: skip
    for name, part in record.structures.items():
        structure = workspace.new_structure(name, part.accepted)
        structure.origins = dict(part.origins)
        structure.context.set(list(part.context))
        structure.saved_logs = dict(part.logs)
        if part.propagation:
            results = FolderResults(store.path, part.propagation)
            structure.propagated = Propagation(results.masks, results.confidence, part.propagation)
        workspace.structures[name] = structure
    return workspace


def stored_dataset(store: WorkFolder, record: SessionRecord) -> Dataset:
    """The images a work folder was made for: re-read from their files, or its own copies."""
    source = record.images.dataset
    try:
        if "files" in source:
            return load(list(source["files"]), axis=source["axis"])
        images = [_image_copy(store, relative) for relative in source["arrays"]]
    except ValueError as error:
        raise WorkFolderError(f"the session's images cannot be read: {error}") from error
    except (KeyError, TypeError) as error:
        raise WorkFolderError(f"{store.path} names no readable images: {error!r}") from error
    names, slices = list(record.images.names), list(record.images.slices)
    return Dataset(LazyImages(images), names, slices)


def save_image_copies(store: WorkFolder, images: Sequence[np.ndarray]) -> list[str]:
    """Copy in-memory images into the folder, so that resume does not depend on the caller.

    Args:
        store: the work folder, writable.
        images: the images, each an H x W (x C) array, saved as it is (.npy).

    Returns:
        Their files relative to the folder, ``images/00000.npy`` on, in the images' order.
    """
    store.check_writable()
    make_dir(store.path / "images")
    names = []
    for i, image in enumerate(images):
        relative = f"images/{i:05d}.npy"
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(image), allow_pickle=False)
        atomic_write(store.resolve(relative), buffer.getvalue())
        names.append(relative)
    return names


def _image_copy(store: WorkFolder, relative: str) -> np.ndarray:
    path = store.resolve(relative)
    try:
        image: np.ndarray = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise WorkFolderError(f"image copy {path} cannot be read: {error}") from error
    return image


def continuing_note(workspace: Workspace, added: list[str]) -> str:
    """What a notebook run again on its work folder is told; ``added``: the names of the
    structures this run added to those the folder had."""
    accepted = sum(len(s.accepted) for s in workspace.structures.values())
    i = workspace.position
    where = "" if workspace.store is None else f" in {workspace.store.path}"
    return (
        f"Continuing the session{where}: {accepted} masks accepted, at image {i} "
        f"({workspace.dataset.names[i]}), structure {workspace.current!r}"
        + (f"; added structures {added}" if added else "")
    )


def _same_images(record: SessionRecord, fingerprint: str, dataset: Dataset) -> bool:
    """Whether ``dataset`` (of ``fingerprint``) holds the images ``record`` was made for. Folders
    of version 2 kept a digest of the pixels of every dataset: compared once, reading them all."""
    kept = record.images.fingerprint
    return kept == fingerprint or (":" not in kept and kept == pixel_fingerprint(dataset.images))
