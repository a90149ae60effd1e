"""The annotation session: segmenting one dataset, one image at a time. A thin front over parts
that each receive what they need: the ``Workspace`` (what the session holds, and the one way it
changes: commit, then apply), the ``SessionModel`` (predictions, checks and adaptation), the
``ImageEditor`` (the current image), ``Acceptance``, ``StructureLabels``, ``WholeDataset`` and
``Suggestions``.
Every change is committed to the work folder before the call returns, so that killing the
kernel loses nothing accepted.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

from ..common.logs import package_logger
from ..data import load
from ..model import Predictor
from ..model.load import as_predictor
from .accepting import Acceptance
from .changes import SetView
from .checks import AUTO, MaxContext, check_max_context
from .editing import ImageEditor
from .forwarding import forward, forward_property
from .image_status import ImageStatus
from .labels import StructureLabels
from .persistence import continuing_note, restored_workspace, started_workspace, stored_dataset
from .propagation import Propagation
from .record import check_view
from .session_model import SessionModel
from .store import STATE_FILE, WorkFolder
from .structure import structure_names
from .suggestion import Suggestions
from .whole_dataset import WholeDataset
from .workspace import Workspace

log = package_logger(__name__)


class Session:
    """Annotate ``images``, one structure at a time.

    images: anything ``data.load`` reads (folder, files, N x H x W array, list of arrays, Dataset);
    None: the images of the session in ``workdir`` (as ``resume``).
    model: a Predictor, or a name or checkpoint path for ``load_model`` ("official": the
    authors' weights; default: the built-in ones, which check each context set and adapt to it:
    ``as_predictor``), loaded on ``device`` ("auto", "cpu", "cuda", "mps"; default the CPU).
    workdir: where every change is saved; None keeps the session in memory only; a folder that
    holds a session of the same images is continued (of other images: refused).
    structures: the names of the structures to annotate (each with its own context set);
    ``structure`` alone names the one structure. max_context: how many context items a
    prediction uses, the most like the image: "auto" as many as keep a click as fast as with
    2 items on this machine (``model/context_budget.py``: a few on a CPU, up to 64 on a GPU),
    an int that many, None every accepted image (each click then costs more as they grow).
    One Session writes to a work folder at a time (see ``close``). read_only: view the session
    of ``workdir`` without the folder's lock, writing nothing (see ``read_only``).
    """

    def __init__(
        self,
        images: Any = None,
        model: Predictor | str | Path | None = None,
        workdir: str | Path | None = None,
        structure: str | None = None,
        max_context: MaxContext = AUTO,
        axis: int | None = None,
        skip_bad: bool = False,
        structures: Sequence[str] | None = None,
        device: str | None = None,
        read_only: bool = False,
    ) -> None:
        names = structure_names(structure, structures)
        max_context = check_max_context(max_context)
        if images is None and workdir is None:
            raise ValueError("Session needs images, or a workdir that holds a session")
        dataset = None if images is None else load(images, axis=axis, skip_bad=skip_bad)
        predictor = as_predictor(model, device)
        held = workdir is not None and (Path(workdir).expanduser() / STATE_FILE).is_file()
        if held or read_only or dataset is None:
            store = WorkFolder.open(workdir, read_only)
            with store.closed_on_error():
                record = store.load()
                found = stored_dataset(store, record) if dataset is None else dataset
                self._compose(restored_workspace(store, record, found), predictor)
                store.migrate(self._workspace.record())
                asked = [] if structure is None and structures is None else names
                added = [name for name in asked if name not in self.structures]
                for name in added:
                    self.add_structure(name)
            if dataset is not None:
                log.info(continuing_note(self._workspace, added))
            return
        created = None if workdir is None else WorkFolder.create(workdir)
        with created.closed_on_error() if created else contextlib.nullcontext():
            current = structure if structure is not None else names[0]
            workspace = started_workspace(dataset, created, names, current, max_context)
            self._compose(workspace, predictor)
            self._workspace.commit()

    def _compose(self, workspace: Workspace, model: Predictor) -> None:
        """The parts, over ``workspace``; opens its current image."""
        self._workspace = workspace
        self._model = SessionModel(workspace, model)
        self._editor = ImageEditor(workspace, self._model)
        self._acceptance = Acceptance(workspace, self._editor)
        self._labels = StructureLabels(workspace, self._editor, self._acceptance)
        self._whole = WholeDataset(workspace, self._model, self._labels.label_map)
        self._suggestions, self._status = Suggestions(self._whole), ImageStatus(workspace)
        self._editor.open(workspace.position)

    @classmethod
    def resume(
        cls,
        workdir: str | Path,
        model: Predictor | str | Path | None = None,
        device: str | None = None,
        read_only: bool = False,
    ) -> Session:
        """Reopen a work folder: images, every structure's accepted masks, context and logs,
        position (the current image's undo history rebuilt from its log). A damaged session file
        or a folder made for other images raises WorkFolderError and nothing is written; a folder
        of an older format is migrated (backup kept)."""
        return cls(None, model, workdir, device=device, read_only=read_only)

    # ---- what the session holds -----------------------------------------------------------

    def __repr__(self) -> str:
        part = self._workspace.part
        return (
            f"Session({len(self)} images, structure {part.name!r} of {self.structures}: "
            f"{len(part.accepted)} accepted, {len(part.context)} in context, "
            f"at image {self.index}, workdir={self.workdir and str(self.workdir)!r})"
        )

    def __len__(self) -> int:
        return len(self._workspace.dataset)

    dataset = property(lambda self: self._workspace.dataset, doc="The images (a ``Dataset``).")
    max_context = property(lambda self: self._workspace.max_context, doc="See ``Session``.")
    index = property(lambda self: self._workspace.position, doc="The image being annotated.")
    names = property(lambda self: list(self.dataset.names), doc="The images' names.")
    image = property(lambda self: self.dataset.images[self.index], doc="The current image.")
    prediction = property(
        lambda self: self._editor.history.current.prediction,
        doc="The current image's latest model output (None before any).",
    )
    mask = property(
        lambda self: self._editor.history.current.mask,
        doc="The current image's mask: what accept() would take.",
    )
    prompts = property(
        lambda self: self._editor.history.current.prompts,
        doc="The current image's prompts, in order.",
    )
    can_undo = property(lambda self: self._editor.history.can_undo)
    can_redo = property(lambda self: self._editor.history.can_redo)
    structures = property(
        lambda self: self._labels.structures,
        doc="The structures' names; label k in ``label_map`` is the k-th (from 1).",
    )
    context_indices = property(lambda self: self._workspace.part.context.members)
    context_used = property(
        lambda self: self._model.used_images(self.prediction),
        doc="The context images the current prediction used (the most like it, within "
        "``max_context``).",
    )

    @property
    def model(self) -> Predictor:
        """The ``Predictor``; set another (other weights, another device) to make the next
        predictions with it (those made so far stay as they are)."""
        return self._model.model

    @model.setter
    def model(self, model: Predictor) -> None:
        self._compose(self._workspace, model)

    @property
    def propagated(self) -> Propagation | None:
        """The current structure's last propagation (see ``propagate``); set None to forget
        it in this process, so that the next ``propagate`` or ``suggest_next`` predicts anew."""
        return self._workspace.part.propagated

    @propagated.setter
    def propagated(self, result: Propagation | None) -> None:
        self._workspace.part.propagated = result

    @property
    def workdir(self) -> Path | None:
        return None if self._workspace.store is None else self._workspace.store.path

    @property
    def interactions(self) -> list[dict[str, Any]]:
        """The current image's prompts in their JSON form (what the work folder logs)."""
        return self._editor.history.current.prompts.to_json()

    @property
    def context(self) -> list[tuple[np.ndarray, np.ndarray]]:
        """The context set, in the order images were accepted: (image, mask) pairs."""
        part = self._workspace.part
        return [(self.dataset.images[i], part.accepted[i]) for i in part.context.members]

    @property
    def accepted(self) -> Mapping[int, np.ndarray]:
        """Image index -> accepted mask (H x W bool, read-only)."""
        return MappingProxyType(self._workspace.part.accepted)

    @property
    def structure(self) -> str:
        """The structure being annotated; set it to switch (nothing is lost)."""
        return self._workspace.current

    @structure.setter
    def structure(self, name: str) -> None:
        self._labels.switch(name)

    @property
    def view(self) -> dict[str, Any]:
        """A front end's view settings (the widget's brush width, overlay, colours), kept in the
        work folder so that a resumed session looks as it was left; a copy. Setting it commits
        it: a dict of plain JSON."""
        return dict(self._workspace.view)

    @view.setter
    def view(self, settings: Mapping[str, Any]) -> None:
        self._workspace.perform(SetView(check_view(dict(settings))))

    @property
    def read_only(self) -> bool:
        """Whether this Session only views its work folder (``read_only=True``): moving between
        images and structures (and ``view``) works, every other change raises an error."""
        return self._workspace.store is not None and self._workspace.store.read_only

    def accepted_revision(self, i: int) -> int:
        """Changes whenever accepted image i's mask in the current structure is replaced (a
        view keys its copies on it; reading the mask itself may mean reading the disk)."""
        return self._workspace.part.accepted.revision(i)

    def close(self) -> None:
        """Release the work folder's lock, so that another Session, in any process, may write
        to it; this one then refuses every change (reading goes on). Also at the end of a
        ``with`` block, and when the Session is garbage-collected. While a Session holds it,
        another process's Session raises FolderInUseError naming the holder, and a newer Session
        in the same process takes the folder over (the older one then refuses to write)."""
        if self._workspace.store is not None:
            self._workspace.store.close()

    def __enter__(self) -> Session:
        """``with Session(...) as session:`` releases the work folder at the end (``close``)."""
        return self

    def __exit__(self, *_exception: object) -> None:
        self.close()

    # ---- the parts' methods, documented where they are written ------------------------------

    editor, model_part = (lambda s: s._editor), (lambda s: s._model)
    goto = forward(editor, ImageEditor.goto)
    next = forward(editor, ImageEditor.next)
    previous = forward(editor, ImageEditor.previous)
    click = forward(editor, ImageEditor.click)
    box = forward(editor, ImageEditor.box)
    scribble = forward(editor, ImageEditor.scribble)
    add = forward(editor, ImageEditor.add)
    remove = forward(editor, ImageEditor.remove)
    set_mask = forward(editor, ImageEditor.set_mask)
    paint = forward(editor, ImageEditor.paint)
    undo = forward(editor, ImageEditor.undo)
    redo = forward(editor, ImageEditor.redo)
    clear = forward(editor, ImageEditor.clear)
    accept = forward(lambda s: s._acceptance, Acceptance.accept)
    remove_context = forward(lambda s: s._acceptance, Acceptance.remove_context)
    add_to_context = forward(lambda s: s._acceptance, Acceptance.add_to_context)
    add_structure = forward(lambda s: s._labels, StructureLabels.add_structure)
    rename_structure = forward(lambda s: s._labels, StructureLabels.rename_structure)
    accepted_masks = forward(lambda s: s._labels, StructureLabels.accepted_masks)
    label_map = forward(lambda s: s._labels, StructureLabels.label_map)
    import_masks = forward(lambda s: s._labels, StructureLabels.import_masks)
    propagate = forward(lambda s: s._whole, WholeDataset.propagate)
    status = forward(lambda s: s._status, ImageStatus.status)
    status_codes = forward(lambda s: s._status, ImageStatus.status_codes)
    image_prompts = forward(lambda s: s._status, ImageStatus.image_prompts)
    suggest_next = forward(lambda s: s._suggestions, Suggestions.suggest_next)
    suggestion = forward(lambda s: s._suggestions, Suggestions.suggestion)
    suggestion_steps = forward(lambda s: s._suggestions, Suggestions.suggestion_steps)
    export = forward(lambda s: s._whole, WholeDataset.export)
    adaptation_deferred = forward(model_part, SessionModel.adaptation_deferred)
    adapt = forward(model_part, SessionModel.adapt)
    adaptation_work = forward(model_part, SessionModel.adaptation_work)
    context_estimate = forward_property(model_part, SessionModel.context_estimate)
    context_note = forward_property(model_part, SessionModel.context_note)
    pending_adaptation = forward_property(model_part, SessionModel.pending_adaptation)
    pending_check = forward_property(model_part, SessionModel.pending_check)
    del editor, model_part
