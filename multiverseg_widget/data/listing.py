"""Which files a source names: a folder's image files, a file, or a list of both.

A folder's entry named as an image that cannot be opened at all (a symbolic link loop, a link to
a missing file, an entry the user may not read) is named in an error, or skipped with
``skip_bad``: opening a folder never fails on a raw ``OSError``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Sequence
from pathlib import Path

from .formats import is_image_file, supported_suffixes
from .readers import UnreadableFileError


def listed_files(
    source: str | Path | Sequence[str | Path], skip_bad: bool
) -> tuple[list[str], list[tuple[str, str]]]:
    """A folder -> its image files (sorted); a file -> itself; a list -> its items, expanded;
    as absolute paths. Strings, not Path objects: a folder of 100,000 files lists in a
    fraction of a second.

    Returns the paths, and with ``skip_bad`` the entries that cannot be opened, each with why
    (without it, the first such entry raises ``UnreadableFileError``)."""
    skipped: list[tuple[str, str]] = []
    items = [source] if isinstance(source, (str, Path)) else list(source)
    paths: list[str] = []
    for item in items:
        if not isinstance(item, (str, Path)):
            raise ValueError(f"expected a path or an array, got {type(item).__name__}")
        path = os.path.expanduser(item)
        if not os.path.isabs(path):  # absolute paths survive a change of working folder
            path = os.path.abspath(path)
        try:
            mode = os.stat(path).st_mode
        except FileNotFoundError:
            raise ValueError(f"no such file or folder: {path}") from None
        except OSError as error:  # a symbolic link loop, a folder the user may not enter
            _unopenable(skipped, path, _why_unopenable(error), skip_bad)
            continue
        if stat.S_ISDIR(mode):
            found, unopenable = _folder_images(path)
            for entry, why in unopenable:
                _unopenable(skipped, entry, why, skip_bad)
            if not found and not unopenable:
                raise ValueError(f"the folder {path} holds no image files ({supported_suffixes()})")
            paths.extend(found)
        elif stat.S_ISREG(mode):
            paths.append(path)
        else:
            raise ValueError(f"not a file or folder: {path}")
    return paths, skipped


def _folder_images(folder: str) -> tuple[list[str], list[tuple[str, str]]]:
    """A folder's image files, sorted, and its entries named as images that cannot be opened,
    each with why (sorted). Folders named like images are not images, and are left out."""
    found: list[str] = []
    unopenable: list[tuple[str, str]] = []
    with os.scandir(folder) as entries:  # is_file reads the entry: no stat per file
        for entry in entries:
            if not is_image_file(entry.name):
                continue
            try:
                if entry.is_file():
                    found.append(entry.path)
                elif entry.is_symlink() and not entry.is_dir():
                    unopenable.append((entry.path, "it is a symbolic link to a missing file"))
            except OSError as error:
                unopenable.append((entry.path, _why_unopenable(error)))
    return sorted(found), sorted(unopenable)


def _why_unopenable(error: OSError) -> str:
    if error.errno == errno.ELOOP:
        return "it is a symbolic link loop (a link that leads back to itself)"
    return f"{error.strerror or error}"


def _unopenable(skipped: list[tuple[str, str]], path: str, why: str, skip_bad: bool) -> None:
    """Skip an entry that cannot be opened (skip_bad), or raise an error naming it."""
    if skip_bad:
        skipped.append((path, f"{path} cannot be opened: {why}"))
        return
    raise UnreadableFileError(
        f"{path} cannot be opened: {why}; remove or fix it, or pass skip_bad=True to skip it"
    )
