"""Several structures in one dataset: the list of structures and the current one, label maps
that combine their accepted masks, and masks made elsewhere imported as accepted ones. A facet
of ``Session`` (its base class), kept apart so that each file has one concern."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..data import Dataset, load
from .checks import checked_index, image_shape
from .record import StoredMask, check_structure_name
from .store import WorkFolder
from .structure import Structure


class StructureLabels:
    """The structure API of ``Session``; see there."""

    # Parts: provided by Session.
    dataset: Dataset
    _store: WorkFolder | None
    _structures: dict[str, Structure]
    _current: str
    _index: int
    _commit: Callable[..., None]
    _ensure_annotation: Callable[[int], None]
    _accept_masks: Callable[..., None]

    @property
    def structures(self) -> list[str]:
        """The structures' names; label k in ``label_map`` is the k-th (from 1)."""
        return list(self._structures)

    @property
    def structure(self) -> str:
        """The structure being annotated; set it to switch (nothing is lost)."""
        return self._current

    @structure.setter
    def structure(self, name: str) -> None:
        self._check_known(name)
        if name == self._current:
            return
        self._commit(structure=name)
        self._current = name
        self._ensure_annotation(self._index)

    def add_structure(self, name: str) -> None:
        """A new structure with an empty context set (it does not become the current one)."""
        check_structure_name(name, self._structures)
        structure = self._new_structure(name)
        self._commit(parts={name: structure.record()})  # first: a refused commit changes nothing
        self._structures[name] = structure

    def add_to_context(self, i: int, position: int | None = None) -> None:
        """Put accepted image i back into the current structure's context set, at ``position``
        (default: the end); what undoes ``remove_context``."""
        part = self._structures[self._current]
        i = checked_index(i, len(self.dataset.images))
        if i not in part.accepted:
            raise ValueError(f"image {i} is not accepted, so it cannot join the context set")
        if i in part.context:
            raise ValueError(f"image {i} is already in the context set")
        members = part.context.members
        end = len(members)
        position = end if position is None else checked_index(position, end + 1, "position")
        members.insert(position, i)
        self._commit(parts={self._current: part.record(context=tuple(members))})
        part.context.set(members)

    def rename_structure(self, old: str, new: str) -> None:
        self._check_known(old)
        check_structure_name(new, self._structures)
        renamed = {new if k == old else k: v for k, v in self._structures.items()}
        current = new if self._current == old else self._current
        previous = (self._structures, self._current)
        self._structures, self._current = renamed, current
        try:
            self._commit()
        except BaseException:
            self._structures, self._current = previous
            raise
        renamed[new].name = new

    def accepted_revision(self, i: int) -> int:
        """Changes whenever accepted image i's mask in the current structure is replaced (a
        view keys its copies on it; reading the mask itself may mean reading the disk)."""
        return self._structures[self._current].accepted.revision(i)

    def accepted_masks(self, i: int) -> dict[str, np.ndarray]:
        """Image i's accepted mask of each structure that has one (overlaps kept)."""
        i = checked_index(i, len(self.dataset))
        return {n: s.accepted[i] for n, s in self._structures.items() if i in s.accepted}

    def label_map(self, i: int) -> np.ndarray:
        """Image i's accepted masks as one H x W integer map: 0 background, k the k-th
        structure of ``structures``. Where accepted masks overlap, the later structure wins
        (the per-structure masks keep the overlap)."""
        i = checked_index(i, len(self.dataset))
        dtype = np.uint8 if len(self._structures) < 256 else np.uint16
        out = np.zeros(image_shape(self.dataset.images[i]), dtype=dtype)
        for k, structure in enumerate(self._structures.values(), 1):
            mask = structure.accepted.get(i)
            if mask is not None:
                out[mask] = k
        return out

    def import_masks(self, source: Any, structure: str | None = None) -> list[int]:
        """Masks made elsewhere (by hand, another tool, an earlier project) become accepted,
        with their origin recorded, and join the context set; returns the images imported.

        source: {image index: mask}, or a folder of mask files matched to the images by file
        name (stem). With ``structure``, each mask is binary (bool, 0/1 or 0/255) for that
        structure; without, each is a label map (0 background, k the k-th structure), and
        every structure gets its mask of those images. Everything is checked first: a wrong
        shape, an unknown name or values that are not labels raise ValueError, nothing changes.
        """
        if structure is not None:
            self._check_known(structure)
        arrays, origin = self._mask_source(source)
        if not arrays:
            raise ValueError("import_masks found no masks to import")
        names = [structure] if structure is not None else list(self._structures)
        per_structure: dict[str, dict[int, np.ndarray]] = {name: {} for name in names}
        for i, array in arrays.items():
            shape = image_shape(self.dataset.images[i])
            if array.shape != shape:
                raise ValueError(f"the mask for image {i} is {array.shape}, the image {shape}")
            values = np.unique(array)
            allowed = {0, 1, 255} if structure is not None else set(range(len(names) + 1))
            if array.dtype != bool and not set(values.tolist()) <= allowed:
                kind = "a binary mask" if structure is not None else "a label map"
                raise ValueError(
                    f"the mask for image {i} is not {kind}: it holds {values[:8].tolist()}"
                )
            for k, name in enumerate(names, 1):
                per_structure[name][i] = array > 0 if structure is not None else array == k
        self._accept_masks(per_structure, origin=origin)
        self._ensure_annotation(self._index)
        return sorted(arrays)

    def _check_known(self, name: str) -> None:
        if name not in self._structures:
            raise ValueError(f"no structure named {name!r}; the structures are {self.structures}")

    def _mask_source(self, source: Any) -> tuple[dict[int, np.ndarray], str]:
        """{image index: array} and a description of where the masks came from."""
        n = len(self.dataset)
        if isinstance(source, Mapping):
            return {checked_index(i, n): np.asarray(a) for i, a in source.items()}, "imported"
        if not isinstance(source, (str, Path)) or not Path(source).expanduser().is_dir():
            raise ValueError(f"source must be {{image index: mask}} or a folder, got {source!r}")
        folder = Path(source).expanduser()
        masks = load(folder)
        by_name = {name: i for i, name in enumerate(self.dataset.names)}
        unknown = [name for name in masks.names if name not in by_name]
        if unknown:
            raise ValueError(
                f"{folder}: {len(unknown)} mask file(s) match no image by name, e.g. "
                f"{unknown[:3]}; mask files are named after their images"
            )
        arrays = {by_name[name]: np.asarray(m) for name, m in zip(masks.names, masks.images)}
        return arrays, f"imported from {folder.resolve()}"

    def _new_structure(
        self, name: str, stored: Mapping[int, StoredMask] | None = None
    ) -> Structure:
        """A structure whose accepted masks (``stored`` so far) are read back from the work
        folder when asked for."""
        store = self._store
        if store is None:
            return Structure(name)
        read = lambda file, i: store.read_mask(file, image_shape(self.dataset.images[i]))  # noqa: E731
        return Structure(name, read, stored)
