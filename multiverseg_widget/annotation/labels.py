"""Several structures in one dataset: the list of structures and the current one, label maps
that combine their accepted masks, and masks made elsewhere imported as accepted ones."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from ..data import load
from .accepting import Acceptance
from .changes import AddStructure, RenameStructure, SwitchStructure
from .checks import checked_index
from .editing import ImageEditor
from .structure import check_new_structure_name
from .workspace import Workspace


class StructureLabels:
    """The structure API of ``Session``."""

    def __init__(self, workspace: Workspace, editor: ImageEditor, acceptance: Acceptance) -> None:
        self.workspace = workspace
        self.editor = editor
        self.acceptance = acceptance

    @property
    def structures(self) -> list[str]:
        """The structures' names; label k in ``label_map`` is the k-th (from 1)."""
        return list(self.workspace.structures)

    def switch(self, name: str) -> None:
        """Make structure ``name`` the current one (nothing is lost)."""
        self.check_known(name)
        if name == self.workspace.current:
            return
        self.workspace.perform(SwitchStructure(name))
        self.editor.open(self.workspace.position)

    def add_structure(self, name: str) -> None:
        """A new structure with an empty context set (it does not become the current one). A
        name that is empty, taken or "background" (label 0) raises ValueError; nothing changes."""
        check_new_structure_name(name, self.workspace.structures)
        self.workspace.perform(AddStructure(self.workspace.new_structure(name)))

    def rename_structure(self, old: str, new: str) -> None:
        """Call structure ``old`` ``new``; it keeps its place (its label) and everything else.
        A ``new`` name that is empty, taken or "background" (label 0) raises ValueError;
        nothing changes."""
        self.check_known(old)
        check_new_structure_name(new, self.workspace.structures)
        self.workspace.perform(RenameStructure(old, new))

    def accepted_masks(self, i: int) -> dict[str, np.ndarray]:
        """Image i's accepted mask of each structure that has one (overlaps kept, unlike
        ``label_map``).

        Args:
            i: the image's index in the dataset.

        Returns:
            Structure name -> H x W bool of image i's shape, read-only.
        """
        i = checked_index(i, len(self.workspace.dataset))
        structures = self.workspace.structures
        return {n: s.accepted[i] for n, s in structures.items() if i in s.accepted}

    def label_map(self, i: int) -> np.ndarray:
        """Image i's accepted masks as one map, the form label-map pipelines read. Where
        accepted masks overlap, the later structure wins (``accepted_masks`` keeps the overlap).

        Args:
            i: the image's index in the dataset.

        Returns:
            H x W uint8 (uint16 from 256 structures) of image i's shape: 0 background, k the
            k-th structure of ``structures``.
        """
        i = checked_index(i, len(self.workspace.dataset))
        structures = self.workspace.structures
        dtype = np.uint8 if len(structures) < 256 else np.uint16
        out = np.zeros(self.workspace.shape(i), dtype=dtype)
        for k, structure in enumerate(structures.values(), 1):
            mask = structure.accepted.get(i)
            if mask is not None:
                out[mask] = k
        return out

    def import_masks(self, source: Any, structure: str | None = None) -> list[int]:
        """Masks made elsewhere (by hand, another tool, an earlier project) become accepted,
        with their origin recorded, and join the context set. Everything is checked first: a
        wrong shape, an unknown name or values that are not labels raise ValueError, nothing
        changes.

        Args:
            source: {image index: H x W mask of that image's shape}, or a folder of mask files
                matched to the images by file name (stem).
            structure: the structure the masks are of, each binary (bool, 0/1 or 0/255); None:
                each is a label map (0 background, k the k-th structure), and every structure
                gets its mask of those images.

        Returns:
            The indices of the images imported, sorted.
        """
        if structure is not None:
            self.check_known(structure)
        arrays, origin = self._mask_source(source)
        if not arrays:
            raise ValueError("import_masks found no masks to import")
        names = [structure] if structure is not None else self.structures
        per_structure: dict[str, dict[int, np.ndarray]] = {name: {} for name in names}
        for i, array in arrays.items():
            shape = self.workspace.shape(i)
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
        self.acceptance.accept_masks(per_structure, origin=origin)
        self.editor.open(self.workspace.position)
        return sorted(arrays)

    def check_known(self, name: str) -> None:
        """Raise ValueError naming the structures unless ``name`` is one of them."""
        if name not in self.workspace.structures:
            raise ValueError(f"no structure named {name!r}; the structures are {self.structures}")

    def _mask_source(self, source: Any) -> tuple[dict[int, np.ndarray], str]:
        """{image index: array} and a description of where the masks came from."""
        dataset = self.workspace.dataset
        n = len(dataset)
        if isinstance(source, Mapping):
            return {checked_index(i, n): np.asarray(a) for i, a in source.items()}, "imported"
        if not isinstance(source, (str, Path)) or not Path(source).expanduser().is_dir():
            raise ValueError(f"source must be {{image index: mask}} or a folder, got {source!r}")
        folder = Path(source).expanduser()
        masks = load(folder)
        by_name = {name: i for i, name in enumerate(dataset.names)}
        unknown = [name for name in masks.names if name not in by_name]
        if unknown:
            raise ValueError(
                f"{folder}: {len(unknown)} mask file(s) match no image by name, e.g. "
                f"{unknown[:3]}; mask files are named after their images"
            )
        arrays = {by_name[name]: np.asarray(m) for name, m in zip(masks.names, masks.images)}
        return arrays, f"imported from {folder.resolve()}"
