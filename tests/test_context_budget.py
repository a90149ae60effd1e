"""The latency budget of context items (``model/context_budget.py``) and a Session's default
``max_context="auto"``: measured once per machine and network, kept in the user's cache,
overridable, and what every prediction of the session uses."""

from __future__ import annotations

import json

import pytest

from multiverseg_widget import Session
from multiverseg_widget.model import context_budget
from multiverseg_widget.model.context_budget import (
    BASE_ITEMS,
    BUDGET_ENV,
    BUDGET_FILE,
    MAX_ITEMS,
    budgeted_items,
)
from multiverseg_widget.model.official import CACHE_ENV
from multiverseg_widget.widget import SegmentWidget


@pytest.fixture()
def measured(tmp_path, monkeypatch):
    """The budget measured for real, into an empty cache."""
    monkeypatch.delenv(BUDGET_ENV, raising=False)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return tmp_path / "cache" / BUDGET_FILE


def test_the_budget_is_measured_once_and_kept(measured, small_predictor, monkeypatch):
    budget = budgeted_items(small_predictor.networks)
    assert BASE_ITEMS <= budget <= MAX_ITEMS
    assert list(json.loads(measured.read_text()).values()) == [budget]
    monkeypatch.setattr(context_budget, "measure_budget", lambda _: pytest.fail("measured again"))
    assert budgeted_items(small_predictor.networks) == budget


def test_the_budget_can_be_set_by_hand(monkeypatch, small_predictor):
    monkeypatch.setenv(BUDGET_ENV, "3")
    assert budgeted_items(small_predictor.networks) == 3
    monkeypatch.setenv(BUDGET_ENV, "many")
    with pytest.raises(ValueError, match="must be a positive int"):
        budgeted_items(small_predictor.networks)


def test_an_auto_session_predicts_with_the_budget_and_keeps_the_setting(
    tmp_path, monkeypatch, nuclei, small_predictor
):
    monkeypatch.setenv(BUDGET_ENV, "2")
    images, masks = list(nuclei["images"][:6]), nuclei["masks"]
    session = Session(images, model=small_predictor, workdir=tmp_path / "work")
    assert session.max_context == "auto"
    for i in range(4):
        session.set_mask(masks[i] > 0)
        session.accept()
    assert len(session.context) == 4 and len(session.prediction.context_used) == 2
    assert len(session.click(100, 100).context_used) == 2
    used = session.context_used  # the images those were, which the widget marks and counts
    assert len(used) == 2 and set(used) <= set(session.context_indices)
    assert SegmentWidget(session).context_used == used
    resumed = Session.resume(tmp_path / "work", model=small_predictor, read_only=True)
    assert resumed.max_context == "auto"
    every = Session(images, model=small_predictor, max_context=None)
    for i in range(4):
        every.set_mask(masks[i] > 0)
        every.accept()
    assert len(every.prediction.context_used) == 4  # None: every accepted image, when asked
    with pytest.raises(ValueError, match='"auto", None or a positive int'):
        Session(images, model=small_predictor, max_context="all")
