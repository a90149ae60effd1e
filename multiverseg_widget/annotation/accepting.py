"""Masks becoming examples: accepting the current image's mask (which opens the next open image),
accepting masks made elsewhere, and taking images out of and back into the context set."""

from __future__ import annotations

import itertools
from collections.abc import Mapping

import numpy as np

from ..common.names import safe_name
from .changes import AcceptMasks, SetContext
from .checks import checked_index
from .editing import ImageEditor
from .workspace import Workspace


class Acceptance:
    """The accept API of ``Session``: masks become examples."""

    def __init__(self, workspace: Workspace, editor: ImageEditor) -> None:
        self.workspace = workspace
        self.editor = editor

    def accept(self, allow_empty: bool = False) -> np.ndarray:
        """Save the current mask, put it in the context set and move to the next open image.
        Re-accepting an image replaces its mask and its context entry.

        Args:
            allow_empty: accept an empty mask (the structure is absent). Without it an empty
                mask raises ValueError: it is rarely meant, and it joins the context set as an
                example.

        Returns:
            The accepted mask once it is on disk: H x W bool of the image's shape, read-only.
        """
        workspace = self.workspace
        i, part = workspace.position, workspace.part
        mask = self.editor.history.current.mask
        if not allow_empty and not mask.any():
            raise ValueError(
                f"the mask of image {i} is empty; if the structure is absent from it, accept it "
                "with accept(allow_empty=True)"
            )
        n, readable = len(workspace.dataset), workspace.dataset.readable
        after_i = itertools.chain(range(i + 1, n), range(i))
        opens = (j for j in after_i if j not in part.accepted and readable(j))
        position = next(opens, i)  # an image that cannot be read is not opened: goto says why
        self.accept_masks({workspace.current: {i: mask}}, origin=None, position=position)
        self.editor.open(position)
        return part.accepted[i]

    def accept_masks(
        self,
        masks: Mapping[str, Mapping[int, np.ndarray]],
        origin: str | None,
        position: int | None = None,
    ) -> None:
        """Accept ``masks``: their files first, then one commit of every structure's new part,
        then the structures take them (so a failed commit leaves every structure as it was).

        Args:
            masks: structure name -> image index -> H x W bool of that image's shape, checked.
            origin: where imported masks came from (None: accepted here).
            position: the image opened next (None: stay).
        """
        workspace = self.workspace
        parts = {}
        for name, by_image in masks.items():
            files = {}
            if workspace.store is not None:
                for i, mask in by_image.items():
                    stem = safe_name(f"{i:05d}_{workspace.dataset.names[i]}_{name}")
                    files[i] = workspace.store.write_mask("masks", stem, mask)
            parts[name] = workspace.structures[name].accepting(by_image, origin, files)
        workspace.perform(AcceptMasks(parts, masks, position))

    def remove_context(self, i: int) -> None:
        """Drop entry i of ``context`` from the context set; its image stays accepted.

        Args:
            i: a position in ``context`` (0: the first example), not an image index.
        """
        members = self.workspace.part.context.without_entry(i)
        self.workspace.perform(SetContext(tuple(members)))

    def add_to_context(self, i: int, position: int | None = None) -> None:
        """Put accepted image i back into the current structure's context set: what undoes
        ``remove_context``.

        Args:
            i: the image's index in the dataset; it must be accepted and not in the set.
            position: its place in ``context`` (None: the end).
        """
        part = self.workspace.part
        i = checked_index(i, len(self.workspace.dataset))
        if i not in part.accepted:
            raise ValueError(f"image {i} is not accepted, so it cannot join the context set")
        if i in part.context:
            raise ValueError(f"image {i} is already in the context set")
        members = part.context.members
        end = len(members)
        members.insert(end if position is None else checked_index(position, end + 1, "position"), i)
        self.workspace.perform(SetContext(tuple(members)))
