"""How far the current structure's annotation has come, image by image: todo, in progress (with
prompts) or accepted, one image at a time or every image at once (what a progress strip over
100,000 images reads without a call per image)."""

from __future__ import annotations

import numpy as np

from ..prompts import Prompts
from .checks import checked_index
from .workspace import Workspace

STATUSES = ("todo", "in progress", "accepted")  # what status() says; status_codes() indexes it


class ImageStatus:
    """The status API of ``Session``."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def status(self, i: int) -> str:
        """Image i's status for the current structure: 'accepted', 'in progress' (has
        interactions) or 'todo'."""
        i = checked_index(i, len(self.workspace.dataset))
        if i in self.workspace.part.accepted:
            return "accepted"
        return "in progress" if self.image_prompts(i) else "todo"

    def status_codes(self) -> np.ndarray:
        """Every image's ``status`` at once, from the images the current structure has touched
        (not a call per image).

        Returns:
            N uint8, N the number of images: indices into ``STATUSES`` (0 todo, 1 in progress,
            2 accepted).
        """
        part = self.workspace.part
        codes = np.zeros(len(self.workspace.dataset), dtype=np.uint8)
        codes[list(part.logs())] = STATUSES.index("in progress")
        codes[list(part.accepted)] = STATUSES.index("accepted")
        return codes

    def image_prompts(self, i: int) -> Prompts:
        """Image i's prompts for the current structure, as they stand (accepted images keep
        theirs: how many an image took is the in-context gain, image after image)."""
        i = checked_index(i, len(self.workspace.dataset))
        part = self.workspace.part
        annotation = part.annotations.get(i)
        return annotation.current.prompts if annotation else part.saved_logs.get(i, Prompts())
