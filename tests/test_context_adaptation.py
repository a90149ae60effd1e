"""Adaptation to a context set (``model/context_adaptation.py``) with the built-in weights on
real femur X-rays (a demo task the weights never trained on)."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

import multiverseg_widget as mvw
from multiverseg_widget.common.overlap import dice
from multiverseg_widget.common.steps import finished
from multiverseg_widget.model import context_adaptation as adaptation_module
from multiverseg_widget.model import encode_inputs
from multiverseg_widget.model.context_adaptation import (
    adapt_to_context,
    leave_one_out_episodes,
)
from multiverseg_widget.model.load import as_predictor
from multiverseg_widget.model.preprocessing import resize_image


@pytest.fixture(scope="module")
def built_in() -> mvw.Predictor:
    return mvw.load_model(precision="fp32")


def _support(model: mvw.Predictor, task: dict, indices: list[int]) -> torch.Tensor:
    context = [(task["images"][i], task["masks"][i]) for i in indices]
    return model.prepare_context(context).support


def test_adapted_network_finds_the_femur_better_and_leaves_the_network_alone(
    built_in, labelled_task
):
    before = {k: v.clone() for k, v in built_in.multiverseg.state_dict().items()}
    support = _support(built_in, labelled_task, [0, 1, 3, 4])
    adapted = adapt_to_context(built_in.multiverseg, support)
    image, truth = labelled_task["images"][2], labelled_task["masks"][2] > 0
    target = encode_inputs(image)
    plain_logits, _ = built_in.forward_encoded(target, support)
    adapted_logits, _ = built_in.forward_encoded(target, support, adapted)
    small_truth = resize_image(truth.astype(np.float32))[0, 0] > 0.5
    plain = dice(plain_logits[0, 0].numpy() > 0, small_truth.numpy())
    better = dice(adapted_logits[0, 0].numpy() > 0, small_truth.numpy())
    assert better > plain + 0.03  # 0.968 against 0.890 when written
    for name, value in built_in.multiverseg.state_dict().items():
        assert torch.equal(value, before[name]), name
    assert not any(p.requires_grad for p in adapted.parameters()) and not adapted.training
    again = adapt_to_context(built_in.multiverseg, support)
    for (name, a), b in zip(adapted.state_dict().items(), again.state_dict().values()):
        assert torch.equal(a, b), name  # the same inputs give the same copy


def test_adaptation_refuses_a_context_it_cannot_learn_from(built_in, labelled_task):
    one = _support(built_in, labelled_task, [0])
    with pytest.raises(ValueError, match="at least 2"):
        adapt_to_context(built_in.multiverseg, one)
    with pytest.raises(ValueError, match="S x 2 x h x h"):
        adapt_to_context(built_in.multiverseg, one[:, :1])


def test_leave_one_out_episodes_never_show_an_item_its_own_mask():
    support = torch.arange(5.0)[:, None, None, None].expand(5, 2, 4, 4).clone()
    targets, contexts = leave_one_out_episodes(support, 4, 3, torch.Generator().manual_seed(0))
    assert targets.shape == (4, 2, 4, 4) and contexts.shape == (4, 3, 2, 4, 4)
    chosen = targets[:, 0, 0, 0].tolist()
    assert len(set(chosen)) == 4  # distinct items
    for target, context in zip(chosen, contexts[:, :, 0, 0, 0].tolist()):
        assert target not in context and len(set(context)) == 3


def test_the_items_added_since_a_warm_start_are_predicted_in_every_step():
    support = torch.arange(6.0)[:, None, None, None].expand(6, 2, 4, 4).clone()
    gen = torch.Generator().manual_seed(0)
    for _ in range(5):
        targets, _ = leave_one_out_episodes(support, 3, 2, gen, first_targets=[5, 4])
        chosen = targets[:, 0, 0, 0].tolist()
        assert chosen[:2] == [5.0, 4.0] and len(set(chosen)) == 3


@pytest.mark.usefixtures("quick_adaptation")
def test_a_grown_set_starts_from_the_copy_it_grew_from_and_a_shrunk_one_from_scratch(
    small_nets, labelled_task, monkeypatch
):
    images, masks = labelled_task["images"], labelled_task["masks"]
    starts: list[tuple[object, int | None, list[int]]] = []
    real = adaptation_module.adaptation_steps

    def recorded(net, support, seed=0, steps=None, first_targets=(), optimizer_state=None):
        starts.append((net, steps, list(first_targets), optimizer_state is not None))
        return real(net, support, seed, steps, first_targets, optimizer_state)

    monkeypatch.setattr(adaptation_module, "adaptation_steps", recorded)
    model = mvw.Predictor(*small_nets, adapt_to_context=True)
    sets = {n: model.prepare_context([(images[i], masks[i]) for i in range(n)]) for n in (2, 3)}
    model.adapt_to(sets[2])
    model.adapt_to(sets[3])  # one image added: warm, the new item in every step
    first = model.adapted.ready(sets[2].items)
    warm = adaptation_module.ADAPTATION_SETTINGS["warm_steps"]
    assert starts[0] == (model.networks.multiverseg, None, [], False)
    assert starts[1] == (first, warm, [2], True)  # going on with the same optimisation
    grown = model.adapted.ready(sets[3].items)
    assert grown is not first and not torch.equal(
        next(grown.parameters()), next(first.parameters())
    )
    changed = model.prepare_context([(images[i], masks[i]) for i in (0, 2, 3)])
    model.adapt_to(changed)  # image 1 left the set: nothing learnt from it is kept
    assert starts[2] == (model.networks.multiverseg, None, [], False)
    fresh = mvw.Predictor(*small_nets, adapt_to_context=True)
    fresh.adapt_to(sets[2])
    fresh.adapt_to([(images[i], masks[i]) for i in range(5)])  # 3 added to 2: from scratch
    assert starts[4] == (fresh.networks.multiverseg, None, [], False)


@pytest.mark.usefixtures("quick_adaptation")
def test_a_copy_that_learnt_most_steps_is_not_grown_further(
    small_nets, labelled_task, monkeypatch
):
    images, masks = labelled_task["images"], labelled_task["masks"]
    settings = adaptation_module.ADAPTATION_SETTINGS  # 1 step from scratch, then 3 per start
    monkeypatch.setitem(settings, "most_steps", 1 + settings["warm_steps"])
    model = mvw.Predictor(*small_nets, adapt_to_context=True)
    sets = [model.prepare_context([(images[i], masks[i]) for i in range(n)]) for n in (2, 3, 5)]
    for context in sets:
        model.adapt_to(context)
    learnt = [model.adapted._built.find(c.items).steps_learnt for c in sets]
    assert learnt == [1, 1 + settings["warm_steps"], 1]  # 5 grew from 3, full: scratch


def test_predictor_adapts_once_per_context_set_and_only_with_two_or_more_items(
    labelled_task, monkeypatch
):
    images, masks = labelled_task["images"], labelled_task["masks"]
    made = []
    real = adaptation_module.adaptation_steps
    monkeypatch.setattr(
        adaptation_module, "adaptation_steps", lambda *a, **k: (made.append(1), real(*a, **k))[1]
    )
    model = mvw.load_model(precision="fp32", adapt_to_context=True)
    plain = mvw.load_model(precision="fp32")
    context = [(images[i], masks[i]) for i in (0, 1, 3)]
    first = model.predict(images[2], context=context)
    assert len(made) == 1
    assert not np.array_equal(first.logits, plain.predict(images[2], context=context).logits)
    with torch.inference_mode():  # a caller in inference mode changes nothing
        model.predict(images[4], clicks=[(120, 130, True)], context=context)
    assert len(made) == 1  # the same context set: the same adapted network
    one = [(images[0], masks[0])]
    for kwargs in ({"context": one}, {}):  # one context item, or none: the network as it is
        np.testing.assert_array_equal(
            model.predict(images[2], **kwargs).logits, plain.predict(images[2], **kwargs).logits
        )
    assert len(made) == 1 and len(pickle.loads(pickle.dumps(model.adapted))) == 0


@pytest.mark.usefixtures("quick_adaptation")
def test_a_prediction_that_may_not_wait_uses_the_network_as_it_is_until_adapt_to(
    small_nets, labelled_task
):
    images, masks = labelled_task["images"], labelled_task["masks"]
    model = mvw.Predictor(*small_nets, adapt_to_context=True)
    plain = mvw.Predictor(*small_nets)
    context = model.prepare_context([(images[i], masks[i]) for i in (0, 1, 3)])
    assert model.unadapted_context(context) == 3
    assert model.unadapted_context(context, max_context=1) == 3  # the whole set, whatever the cap
    assert plain.unadapted_context(context) == 0  # adaptation off
    quick = model.predict(images[2], context=context, adapt=False)
    assert not quick.adapted and len(model.adapted) == 0
    np.testing.assert_array_equal(quick.logits, plain.predict(images[2], context=context).logits)
    model.adapt_to(context)
    assert len(model.adapted) == 1 and model.unadapted_context(context) == 0
    adapted = model.predict(images[2], context=context, adapt=False)  # adapted already: used
    assert adapted.adapted and not np.array_equal(adapted.logits, quick.logits)


@pytest.fixture()
def adapting_session(small_nets, labelled_task, quick_adaptation) -> mvw.Session:
    """A session of the femur X-rays whose first two images are accepted (ground truth), with
    the network's adaptation to the context set deferred as a widget defers it."""
    images, masks = labelled_task["images"], labelled_task["masks"]
    session = mvw.Session(images, model=mvw.Predictor(*small_nets, adapt_to_context=True))
    with session.adaptation_deferred():
        for i in (0, 1):
            session.set_mask(masks[i] > 0)
            session.accept()
    return session


def test_a_deferred_adaptation_shows_the_next_image_first_then_its_adapted_prediction(
    adapting_session,
):
    session = adapting_session
    assert session.index == 2 and not session.prediction.adapted
    assert session.pending_adaptation == 2
    assert session.adapt() and session.pending_adaptation == 0
    assert session.prediction.adapted and not session.can_undo  # still the first prediction
    np.testing.assert_array_equal(session.mask, session.prediction.mask)
    assert not session.adapt()  # nothing left to adapt to


def test_deferred_prompts_are_answered_at_once_and_the_adapted_network_takes_over(
    adapting_session,
):
    session = adapting_session
    with session.adaptation_deferred():
        clicked = session.click(120, 130)  # the network as it is: a prompt never waits
        assert not clicked.adapted and session.pending_adaptation == 0  # shown: nothing to wait
        work = session.adaptation_work()  # what an interface runs between prompts
        assert work is not None and work.key == session.adaptation_work().key
        assert not finished(work.steps)  # adapted; the prompt's answer stays as it was
        assert session.prediction is clicked and session.adaptation_work() is None
        assert session.click(100, 100).adapted  # the next prompt gets the adapted network
        session.undo()  # back to the first click's answer, by the network as it was
        assert not session.prediction.adapted and session.pending_adaptation == 0
        session.redo()
        session.accept()  # image 2 joins: image 0 reopened has 2 other context images
        session.goto(0)  # an accepted image, reviewed: it shows its accepted mask
        assert session.model.unadapted_context(session.context[1:]) == 2
        assert session.pending_adaptation == 0 and not session.adapt()
        assert session.adaptation_work() is None  # and nothing runs for it in the background


@pytest.mark.usefixtures("quick_adaptation")
def test_a_session_that_does_not_defer_adapts_inside_the_accept(small_nets, labelled_task):
    images, masks = labelled_task["images"], labelled_task["masks"]
    session = mvw.Session(images, model=mvw.Predictor(*small_nets, adapt_to_context=True))
    for i in (0, 1):
        session.set_mask(masks[i] > 0)
        session.accept()
    assert session.prediction.adapted and session.pending_adaptation == 0


def test_sessions_adapt_the_built_in_weights_by_default_and_nothing_else():
    assert as_predictor(None).adapted is not None and as_predictor("default").adapted is not None
    assert mvw.load_model().adapted is None  # load_model itself: opt in
    chosen = mvw.load_model(precision="fp32")
    assert as_predictor(chosen) is chosen and chosen.adapted is None  # a Predictor as given
