"""The context set's check of itself (``model/context_check.py``) and what the Predictor does
with it, with the built-in weights on real images: the femur X-rays (a task the weights never
trained on, that their context teaches), and the same X-rays labelled with nuclei masks of
another dataset (a context that teaches nothing)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import multiverseg_widget as mvw
from multiverseg_widget.model.context import PreparedItem
from multiverseg_widget.model.context_check import (
    CHECKED_ITEMS,
    REFRESHED_PER_SET,
    ContextCheck,
    ContextPolicy,
)
from multiverseg_widget.widget.widget import SegmentWidget


@pytest.fixture(scope="module")
def femur(labelled_task) -> list[tuple[np.ndarray, np.ndarray]]:
    return list(zip(labelled_task["images"], labelled_task["masks"]))


@pytest.fixture(scope="module")
def unteachable(labelled_task, nuclei) -> list[tuple[np.ndarray, np.ndarray]]:
    """Femur X-rays with nuclei masks: nothing in one pair says where the mask of another is."""
    return list(zip(labelled_task["images"], nuclei["masks"][: len(labelled_task["images"])]))


def _policy_predictor(**policy: float) -> mvw.Predictor:
    return mvw.load_model(precision="fp32", context_policy=ContextPolicy(**policy))


def test_estimate_tells_a_teaching_context_from_one_that_teaches_nothing(femur, unteachable):
    model = mvw.load_model(precision="fp32")
    good = model.context_estimate(femur[:4])
    bad = model.context_estimate(unteachable[:4])
    assert good is not None and bad is not None
    assert good.n_checked == 4 and len(bad.item_dice) == 4
    assert good.dice > 0.8 and bad.dice < 0.3  # 0.88 and 0.20 when written
    assert good.describe() == (
        f"context predicts this task at about {good.dice:.2f} Dice (leave-one-out over 4 images)"
    )
    assert model.context_estimate(femur[:1]) is None  # nothing to predict one item from


def test_untrusted_context_gives_an_empty_first_guess_and_answers_prompts_without_it(
    femur, unteachable
):
    model = _policy_predictor()
    image = femur[4][0]
    first = model.predict(image, context=unteachable[:4])
    assert first.network == "none" and not first.mask.any() and first.context_used == []
    assert first.context_estimate is not None and first.context_estimate.dice < 0.5
    assert first.withheld is not None and first.withheld.network == "multiverseg"
    clicks = [(128.0, 150.0, True)]
    with_context = model.predict(image, clicks=clicks, context=unteachable[:4])
    without = model.predict(image, clicks=clicks)
    assert with_context.context_used == []
    np.testing.assert_array_equal(with_context.logits, without.logits)
    trusted = model.predict(image, context=femur[:4])
    assert trusted.withheld is None and trusted.mask.any() and trusted.context_used == [0, 1, 2, 3]


def test_policy_decides_adaptation(femur, quick_adaptation):
    never = mvw.load_model(
        precision="fp32", adapt_to_context=True, context_policy=ContextPolicy(adapt_dice=1.01)
    )
    image = femur[4][0]
    assert never.unadapted_context(femur[:4]) == 0
    assert not never.predict(image, context=femur[:4]).adapted
    assert len(never.adapted) == 0
    trusted = mvw.load_model(
        precision="fp32", adapt_to_context=True, context_policy=ContextPolicy(adapt_dice=0.0)
    )
    assert trusted.context_unchecked(femur[:4])  # a set not checked yet is not adapted to
    assert trusted.unadapted_context(femur[:4]) == 0
    assert not trusted.predict(image, context=femur[:4], adapt=False).adapted
    assert trusted.context_estimate(femur[:4]) is not None
    assert not trusted.context_unchecked(femur[:4])
    assert trusted.unadapted_context(femur[:4]) == 4
    assert trusted.predict(image, context=femur[:4]).adapted


_ITEM_NUMBERS = itertools.count()


def _items(n: int) -> list[PreparedItem]:
    """n items of distinct content (their keys name it; the check reads nothing else of them)."""
    zeros = torch.zeros(1, 2, 2)
    return [
        PreparedItem(f"item {next(_ITEM_NUMBERS)}", zeros, zeros, torch.zeros(4)) for _ in range(n)
    ]


def test_check_is_incremental_and_bounded():
    check, items, calls = ContextCheck(), _items(30), []

    def item_dice(j: int) -> float:
        calls.append(j)
        return j / 100

    for n in range(2, 31):
        calls.clear()
        estimate = check.estimate(items[:n], item_dice)
        assert estimate is not None
        assert estimate.n_checked == min(n, CHECKED_ITEMS)
        assert n - 1 in calls  # the new item is always checked
        assert len(calls) <= max(REFRESHED_PER_SET, 2)  # the first set has 2 new items
        assert min(calls) >= n - CHECKED_ITEMS  # only the most recent items
        calls.clear()
        assert check.estimate(items[:n], item_dice) == estimate and not calls  # same set: free
    assert estimate.item_dice == tuple(j / 100 for j in range(22, 30))
    replaced = [*items[:29], _items(1)[0]]  # the last image accepted again, with a new mask
    calls.clear()
    check.estimate(replaced, item_dice)
    assert 29 in calls


def test_every_item_is_checked_again_within_a_few_sets():
    """Dice from a smaller set are refreshed, longest-unchecked first: in a growing set, no
    checked item's Dice is older than the few sets the refresh budget takes to go round."""
    check, items, checked_with = ContextCheck(), _items(20), {}

    for n in range(2, 21):
        check.estimate(items[:n], lambda j, n=n: checked_with.__setitem__(j, n) or 0.5)
    oldest = -(-CHECKED_ITEMS // (REFRESHED_PER_SET - 1))  # each set: 1 new, the rest refreshed
    assert all(checked_with[j] > 20 - oldest for j in range(20 - CHECKED_ITEMS, 20))


def _session_with_context(pairs: list[tuple[np.ndarray, np.ndarray]], model: mvw.Predictor):
    """A Session over the pairs' images whose first 4 were accepted with the pairs' masks."""
    session = mvw.Session([image for image, _ in pairs], model=model)
    for _, mask in pairs[:4]:
        session.set_mask(mask > 0)
        session.accept()
    assert session.index == 4
    return session


def test_session_and_widget_say_whether_the_context_is_trusted(femur, unteachable):
    model = _policy_predictor()
    untrusted = _session_with_context(unteachable, model)
    estimate = untrusted.context_estimate
    assert estimate is not None and estimate.n_checked == 4 and estimate.dice < 0.5
    assert not untrusted.mask.any() and untrusted.prediction.withheld is not None
    assert untrusted.context_note == (
        f"{estimate.describe()}: not used, prompts are answered without it"
    )
    assert SegmentWidget(untrusted).context_note == untrusted.context_note
    untrusted.click(128, 150)
    assert untrusted.prediction.context_used == [] and untrusted.mask.any()

    trusted = _session_with_context(femur, model)
    assert trusted.context_note == trusted.context_estimate.describe()
    assert trusted.mask.any() and trusted.prediction.context_used == [0, 1, 2, 3]
    plain = _session_with_context(femur, mvw.load_model(precision="fp32"))
    assert plain.context_estimate is None and plain.context_note == ""
    assert SegmentWidget(plain).context_note == ""
