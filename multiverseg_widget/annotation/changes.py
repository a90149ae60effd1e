"""Every kind of change a session makes, each one typed transaction (``workspace.Change``): the
record as it will be, and the same change in memory, applied only once the record is
committed. Keeping both halves side by side is what keeps them in step."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, ClassVar, Literal

import numpy as np

from .history import Step
from .propagation import Propagation
from .record import SessionRecord, StructureRecord
from .structure import Structure
from .workspace import Workspace


@dataclass(frozen=True)
class Move:
    """Open image ``position``."""

    position: int
    viewing: ClassVar[bool] = True

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record as it stands, at image ``position``."""
        return replace(workspace.record(), position=self.position)

    def apply(self, workspace: Workspace) -> None:
        """Make image ``position`` the open one."""
        workspace.position = self.position


@dataclass(frozen=True)
class SwitchStructure:
    """Make structure ``name`` the current one."""

    name: str
    viewing: ClassVar[bool] = True

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record as it stands, with structure ``name`` the current one."""
        return replace(workspace.record(), structure=self.name)

    def apply(self, workspace: Workspace) -> None:
        """Make structure ``name`` the current one."""
        workspace.current = self.name


@dataclass(frozen=True)
class SetView:
    """A front end's display settings (checked plain JSON)."""

    view: Mapping[str, Any]
    viewing: ClassVar[bool] = True

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record as it stands, with ``view`` as the display settings."""
        return replace(workspace.record(), view=dict(self.view))

    def apply(self, workspace: Workspace) -> None:
        """Adopt ``view`` as the display settings."""
        workspace.view = self.view


@dataclass(frozen=True)
class ImageStep:
    """The current image's history moves to ``step``: pushed as a new step, or reached by an
    undo or a redo. Its log becomes the step's prompts."""

    step: Step
    how: Literal["push", "undo", "redo"] = "push"
    viewing: ClassVar[bool] = False

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record whose current image logs the step's prompts (an image without prompts
        has no log)."""
        part = workspace.part.record()
        logs = {**part.logs, workspace.position: self.step.prompts}
        return workspace.with_part(replace(part, logs={i: p for i, p in logs.items() if p}))

    def apply(self, workspace: Workspace) -> None:
        """Push the step onto the current image's history, or undo or redo to it."""
        history = workspace.part.annotations[workspace.position].history
        if self.how == "push":
            history.push(self.step)
        elif self.how == "undo":
            history.undo()
        else:
            history.redo()


@dataclass(frozen=True)
class AcceptMasks:
    """Masks become accepted (and join their structure's context set): ``parts`` are the
    structures' new parts (``Structure.accepting``), ``masks`` the checked masks by structure
    and image; ``position``: the image opened next (None: stay)."""

    parts: Mapping[str, StructureRecord]
    masks: Mapping[str, Mapping[int, np.ndarray]]
    position: int | None = None
    viewing: ClassVar[bool] = False

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record with the structures' new parts, at image ``position`` if given."""
        structures = {**workspace.parts(), **self.parts}
        record = workspace.record(structures)
        return record if self.position is None else replace(record, position=self.position)

    def apply(self, workspace: Workspace) -> None:
        """Each structure takes its new part and its masks; then image ``position`` opens."""
        for name, part in self.parts.items():
            workspace.structures[name].take(part, self.masks[name])
        if self.position is not None:
            workspace.position = self.position


@dataclass(frozen=True)
class SetContext:
    """The current structure's context set becomes ``members`` (accepted images, in order)."""

    members: tuple[int, ...]
    viewing: ClassVar[bool] = False

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record with the current structure's context set as ``members``."""
        return workspace.with_part(workspace.part.record(context=self.members))

    def apply(self, workspace: Workspace) -> None:
        """Adopt ``members`` (the context set's version changes: predictions key on it)."""
        workspace.part.context.set(list(self.members))


@dataclass(frozen=True)
class AddStructure:
    """A new structure, last in the list."""

    structure: Structure
    viewing: ClassVar[bool] = False

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record with the new structure's part last."""
        structures = {**workspace.parts(), self.structure.name: self.structure.record()}
        return workspace.record(structures)

    def apply(self, workspace: Workspace) -> None:
        """Add the structure, last."""
        workspace.structures[self.structure.name] = self.structure


@dataclass(frozen=True)
class RenameStructure:
    """Structure ``old`` is called ``new`` (in its place in the list: its label stays)."""

    old: str
    new: str
    viewing: ClassVar[bool] = False

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record with ``old``'s part under ``new``, in its place (current if it was)."""
        parts = {self._renamed(k): v for k, v in workspace.parts().items()}
        current = self._renamed(workspace.current)
        return replace(workspace.record(parts), structure=current)

    def apply(self, workspace: Workspace) -> None:
        """Rename the structure in its place; the current one stays current."""
        structures = workspace.structures
        workspace.structures = {self._renamed(k): v for k, v in structures.items()}
        workspace.structures[self.new].name = self.new
        workspace.current = self._renamed(workspace.current)

    def _renamed(self, name: str) -> str:
        return self.new if name == self.old else name


@dataclass(frozen=True)
class NamePropagation:
    """The current structure's latest propagation is the one of ``key`` (its results are
    added as they arrive: ``propagation_results.py``)."""

    key: str
    viewing: ClassVar[bool] = False

    def record(self, workspace: Workspace) -> SessionRecord:
        """The record naming ``key`` as the current structure's latest propagation."""
        return workspace.with_part(workspace.part.record(propagation=self.key))

    def apply(self, workspace: Workspace) -> None:
        """Start the propagation of ``key`` empty: its results are added as they arrive."""
        workspace.part.propagated = Propagation({}, {}, self.key)
