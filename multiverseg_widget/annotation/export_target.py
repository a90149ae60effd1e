"""Where an export may write: never among the source images or in the session's work folder,
and over an existing file only when the caller says so. Checked for every planned file before
anything is written, so that a refused export writes nothing."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path

from ..data import Dataset

NAMED = 5  # existing files an overwrite refusal names (then their count)


class ExportWouldOverwrite(ValueError):
    """An export that would replace existing files, refused (nothing was written).

    ``folder``: where it would write; ``existing``: the files it would replace, in the order
    planned.
    """

    def __init__(self, folder: Path, existing: Sequence[Path]) -> None:
        self.folder, self.existing = folder, list(existing)
        super().__init__(
            f"export to {folder} would overwrite {describe_files(self.existing)}; nothing was "
            "written: pass overwrite=True to replace them, or choose another folder"
        )


def describe_files(files: Sequence[Path]) -> str:
    """``3 existing files (a.png, b.png, c.png)``, naming at most NAMED of them."""
    named = ", ".join(f.name for f in files[:NAMED])
    more = f" and {len(files) - NAMED} more" if len(files) > NAMED else ""
    return f"{len(files)} existing file{'' if len(files) == 1 else 's'} ({named}{more})"


def refuse_protected(folder: Path, dataset: Dataset, work_folder: Path | None) -> None:
    """ValueError when ``folder`` is a folder that holds a source file of ``dataset`` (the
    export would replace or mix with the images), or is or lies inside ``work_folder`` (its
    files are the session's: a commit prunes what it does not name, propagation/ included).
    A subfolder of an image folder is allowed: a folder's images are listed without its
    subfolders, so ``images/masks/`` neither touches nor joins the images (and images kept in
    the notebook's own folder leave every other folder free)."""
    target = folder.resolve()
    if work_folder is not None and target.is_relative_to(work_folder.resolve()):
        raise ValueError(
            f"export to {folder} would write into the session's work folder {work_folder}, whose "
            "files the session owns and prunes: choose a folder outside it"
        )
    for source in source_folders(dataset):
        if target == source:
            raise ValueError(
                f"export to {folder} would write among the source images in {source}: choose a "
                "folder outside the images' folders"
            )


def source_folders(dataset: Dataset) -> set[Path]:
    """Every folder a source file of ``dataset`` lives in, resolved (none for arrays)."""
    return {Path(folder).resolve() for folder in {os.path.dirname(f) for f in dataset.files}}


def check_free(folder: Path, names: Iterable[str], overwrite: bool) -> None:
    """Refuse to replace an existing file unless ``overwrite`` (ExportWouldOverwrite, naming
    them), and always refuse to replace anything that is not a file (ValueError)."""
    if not folder.is_dir():
        return  # a new folder holds nothing
    existing = [folder / name for name in names if os.path.lexists(folder / name)]
    not_files = [p for p in existing if p.is_dir() and not p.is_symlink()]
    if not_files:
        raise ValueError(f"export to {folder} would replace the folder {not_files[0].name}")
    if existing and not overwrite:
        raise ExportWouldOverwrite(folder, existing)
