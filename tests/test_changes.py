"""Every kind of session change is one transaction (annotation/changes.py): what it commits is
exactly the state it leaves in memory, and a change whose commit is refused leaves memory as
it was (commit, then apply)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from multiverseg_widget import Session
from multiverseg_widget.annotation.changes import (
    AcceptMasks,
    AddStructure,
    ImageStep,
    Move,
    NamePropagation,
    RenameStructure,
    SetContext,
    SetView,
    SwitchStructure,
)
from multiverseg_widget.annotation.record import SessionRecord
from multiverseg_widget.annotation.work_folder_errors import ReadOnlySessionError
from multiverseg_widget.annotation.workspace import Change, Workspace
from multiverseg_widget.prompts import Click, Prompts

from .session_helpers import folder_snapshot

STRUCTURES = ["nucleus", "cell"]
KINDS = ["move", "switch", "view", "step", "accept", "context", "add", "rename", "propagation"]


def _workspace(session: Session) -> Workspace:
    return session._workspace  # the transactions are what this file tests


def _changes(session: Session, masks: np.ndarray) -> dict[str, Callable[[], Change]]:
    """One of each kind of change, made for the session as it stands (the editor's and the
    acceptance's own preparation: steps predicted, mask files written)."""
    workspace = _workspace(session)
    annotation = workspace.part.annotations[workspace.position]

    def accepting() -> Change:
        by_image = {2: masks[2] > 0}
        part = workspace.part.accepting(by_image, None, {})
        if workspace.store is not None:
            stored = workspace.store.write_mask("masks", "two", by_image[2])
            part = workspace.part.accepting(by_image, None, {2: stored})
        return AcceptMasks({workspace.current: part}, {workspace.current: by_image}, position=3)

    return {
        "move": lambda: Move(2),
        "switch": lambda: SwitchStructure("cell"),
        "view": lambda: SetView({"brush": 5}),
        "step": lambda: ImageStep(annotation.adding(_prompts(), session._model.predictor(1))),
        "accept": accepting,
        "context": lambda: SetContext(()),
        "add": lambda: AddStructure(workspace.new_structure("membrane")),
        "rename": lambda: RenameStructure("nucleus", "nuclei"),
        "propagation": lambda: NamePropagation("abc123"),
    }


def _prompts() -> Prompts:
    return Prompts((Click(60.0, 60.0, True),))


def _memory(workspace: Workspace) -> tuple[Any, ...]:
    """Everything a change may alter in memory, as plain values."""
    history = workspace.part.annotations[workspace.position].history
    return (
        workspace.record(),
        [s.name for s in workspace.structures.values()],
        {n: s.context.version for n, s in workspace.structures.items()},
        {
            n: (None if s.propagated is None else s.propagated.key)
            for n, s in workspace.structures.items()
        },
        history.current.prompts,
        history.can_redo,
    )


@pytest.fixture()
def started(tmp_path, nuclei, small_predictor) -> Session:
    images = list(nuclei["images"][:4])
    session = Session(
        images, model=small_predictor, workdir=tmp_path / "work", structures=STRUCTURES
    )
    session.set_mask(nuclei["masks"][0])
    session.accept()  # image 0 accepted and in context; image 1 open
    return session


@pytest.mark.parametrize("kind", KINDS)
def test_what_a_change_commits_is_what_it_leaves_in_memory(started, nuclei, kind):
    workspace = _workspace(started)
    change = _changes(started, nuclei["masks"])[kind]()
    committed: SessionRecord = change.record(workspace)
    workspace.perform(change)
    assert workspace.record() == committed
    resumed = Session.resume(started.workdir, model=started.model, read_only=True)
    assert _workspace(resumed).record() == committed


@pytest.mark.parametrize("kind", KINDS)
def test_a_change_whose_commit_is_refused_changes_nothing(started, nuclei, small_predictor, kind):
    workspace = _workspace(started)
    change = _changes(started, nuclei["masks"])[kind]()
    before, files = _memory(workspace), folder_snapshot(started.workdir)
    Session.resume(started.workdir, model=small_predictor)  # takes the folder over
    with pytest.raises(ReadOnlySessionError, match="superseded"):
        workspace.perform(change)
    assert _memory(workspace) == before
    assert folder_snapshot(started.workdir) == files
