"""The demo's second hip structure: the femoral head, made from each femur mask, is the round
top of the femur, one piece inside it, on every demo X-ray."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from multiverseg_widget.data import demo_dataset
from multiverseg_widget.data.demo import femoral_head


@pytest.mark.parametrize("index", range(5))
def test_the_head_is_the_top_of_the_femur_in_one_piece(index):
    femur = demo_dataset("medscribble_HipXRay").masks[index]
    head = femoral_head(femur)
    assert head.shape == femur.shape and head.dtype == bool
    assert not (head & ~femur).any()  # inside the femur
    assert ndimage.label(head)[1] == 1
    assert 0.15 < head.sum() / femur.sum() < 0.4  # the measured shares are 0.23 to 0.28
    femur_rows, head_rows = np.flatnonzero(femur.any(axis=1)), np.flatnonzero(head.any(axis=1))
    assert head_rows[0] == femur_rows[0]  # it holds the femur's top
    assert head_rows[-1] - femur_rows[0] < (femur_rows[-1] - femur_rows[0]) / 2


@pytest.mark.parametrize("bad", [np.zeros((8, 8), bool), np.ones((2, 8, 8), bool)])
def test_a_mask_without_a_femur_is_refused(bad):
    with pytest.raises(ValueError, match="femoral_head needs a 2D mask"):
        femoral_head(bad)
