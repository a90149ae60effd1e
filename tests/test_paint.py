"""Painting the mask from Python (``Session.paint``): a stroke's pixels or a mask added or
erased as one hand edit, undoable, saved like ``set_mask``; a paint that changes nothing is no
step, and a stroke outside the image changes nothing."""

from __future__ import annotations

import numpy as np
import pytest

from multiverseg_widget import Session
from multiverseg_widget.prompts import Stroke


def test_paint_adds_and_erases_as_undoable_hand_edits(tmp_path, nuclei, small_predictor):
    session = Session(list(nuclei["images"][:3]), model=small_predictor, workdir=tmp_path / "w")
    before = session.mask.copy()
    assert session.paint(Stroke(((10.0, 10.0), (40.0, 10.0)), True, 5.0))
    painted = session.mask
    assert painted[10, 10:41].all() and painted.sum() > before.sum()
    assert session.interactions[-1]["kind"] == "mask"  # saved like set_mask
    assert not session.paint(Stroke(((20.0, 10.0),), True, 3.0))  # already painted: no step
    square = np.zeros_like(painted)
    square[5:15, 5:15] = True
    assert session.paint(square, add=False)
    assert not session.mask[5:15, 5:15].any() and session.mask[10, 30]
    session.undo()
    np.testing.assert_array_equal(session.mask, painted)
    resumed = Session.resume(tmp_path / "w", model=small_predictor, read_only=True)
    np.testing.assert_array_equal(resumed.mask, painted)  # the undone erase is not in the log
    with pytest.raises(ValueError, match="outside"):
        session.paint(Stroke(((10.0, 10.0), (400.0, 10.0)), True, 5.0))
    np.testing.assert_array_equal(session.mask, painted)
