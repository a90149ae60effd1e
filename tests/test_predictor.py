"""The Predictor on real images: any size and dtype, bad input, context caching and capping."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch

from multiverseg_widget.common.overlap import dice
from multiverseg_widget.model import Predictor, encode_inputs
from multiverseg_widget.model import context_guide as context_guide_module
from multiverseg_widget.model.preprocessing import resize_image, to_gray_unit
from multiverseg_widget.prompts import Box, Click, Prompts


@pytest.fixture()
def image(labelled_task):
    return labelled_task["images"][0]


@pytest.mark.parametrize("shape", [(37, 300), (1024, 1024), (128, 128), (256, 200)])
def test_output_at_image_resolution(small_predictor, labelled_task, shape):
    src = torch.from_numpy(labelled_task["images"][0].astype(np.float32))[None, None]
    img = torch.nn.functional.interpolate(src, size=shape, mode="bilinear")[0, 0].numpy()
    pred = small_predictor.predict(
        img, clicks=[(shape[1] // 2, shape[0] // 2, True)], box=(0, 0, shape[1], shape[0])
    )
    assert pred.prob.shape == shape and pred.mask.shape == shape
    assert pred.prob.dtype == np.float32 and pred.mask.dtype == bool
    assert pred.logits.shape == (128, 128)
    assert (pred.prob[pred.mask] >= 0.5).all() and (pred.prob[~pred.mask] <= 0.5).all()


def test_dtypes_and_channels_give_consistent_results(small_predictor, image):
    base = small_predictor.predict(image, clicks=[(120, 130, True)]).logits
    as_float = small_predictor.predict(image.astype(np.float32) / 255, clicks=[(120, 130, True)])
    np.testing.assert_allclose(as_float.logits, base, atol=1e-5)
    rgb = np.repeat(image[..., None], 3, axis=-1)
    np.testing.assert_allclose(
        small_predictor.predict(rgb, clicks=[(120, 130, True)]).logits, base, atol=1e-2
    )
    rgba = np.concatenate([rgb, np.full_like(image[..., None], 255)], axis=-1)
    assert small_predictor.predict(rgba).prob.shape == image.shape
    sixteen = image.astype(np.uint16) * 257 + 1000
    assert small_predictor.predict(sixteen).prob.shape == image.shape
    assert small_predictor.predict(image > 100).prob.shape == image.shape


def test_sixteen_bit_and_ct_ranges_are_normalised(image):
    ct = image.astype(np.float32) * 8 - 1024  # Hounsfield-like range
    ct[0, 0] = 30000  # one extreme pixel must not squash the rest
    gray = to_gray_unit(ct)
    assert gray.min() == 0 and gray.max() == 1
    assert np.percentile(gray, 90) > 0.3


def test_constant_image_works(small_predictor):
    pred = small_predictor.predict(np.full((64, 80), 7, dtype=np.uint16), clicks=[(10, 10, True)])
    assert np.isfinite(pred.prob).all()


@pytest.mark.parametrize(
    "kwargs,match",
    [
        ({"clicks": [(256, 10, True)]}, "clicks\\[0\\]"),
        ({"clicks": [(-1, 10, True)]}, "outside the image"),
        ({"clicks": [(float("nan"), 10, True)]}, "non-finite"),
        ({"clicks": [(1, 2)]}, "must be \\(x, y, positive\\)"),
        ({"box": (0, 0, 300, 10)}, "box .* outside"),
        ({"box": (5, 5, 5, 10)}, "zero area"),
        ({"box": (1, 2, 3)}, "four finite numbers"),
        ({"scribbles": (np.zeros((10, 10)), None)}, "scribbles\\[0\\] .* shape"),
        ({"scribbles": (None, np.full((256, 256), 2.0))}, "scribbles\\[1\\] .* \\[0, 1\\]"),
        ({"prev_logits": np.zeros((64, 64))}, "prev_logits"),
        ({"prev_logits": np.full((128, 128), np.nan)}, "prev_logits contains NaN"),
        ({"context": [(np.zeros((256, 256)), np.zeros((100, 100)))]}, "context\\[0\\] mask"),
        ({"context": [np.zeros((256, 256))]}, "context\\[0\\] must be an \\(image, mask\\) pair"),
    ],
)
def test_bad_arguments_name_themselves(small_predictor, image, kwargs, match):
    with pytest.raises(ValueError, match=match):
        small_predictor.predict(image, **kwargs)


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.zeros((0, 10)), "empty"),
        (np.array([[np.nan, 1.0], [0.0, 1.0]]), "NaN or infinite"),
        (np.array([[np.inf, 1.0], [0.0, 1.0]]), "NaN or infinite"),
        (np.zeros((4, 5, 6, 7)), "H x W"),
        (np.array([["a"]]), "numeric"),
    ],
)
def test_bad_images_are_rejected(small_predictor, bad, match):
    with pytest.raises(ValueError, match=f"image .*{match}|{match}"):
        small_predictor.predict(bad)


def test_scribbles_and_previous_logits_change_the_prediction(small_predictor, labelled_task):
    image, mask = labelled_task["images"][0], labelled_task["masks"][0].astype(bool)
    first = small_predictor.predict(image, clicks=[(128, 128, True)])
    again = small_predictor.predict(image, clicks=[(128, 128, True)], prev_logits=first.logits)
    assert not np.array_equal(first.logits, again.logits)
    scribbled = small_predictor.predict(image, scribbles=(mask, None))
    assert not np.array_equal(scribbled.logits, small_predictor.predict(image).logits)


def test_context_is_prepared_once_and_reused(small_predictor, labelled_task):
    context = [(labelled_task["images"][i], labelled_task["masks"][i]) for i in (1, 2, 3)]
    image = labelled_task["images"][0]
    first = small_predictor.predict(image, clicks=[(100, 100, True)], context=context)
    prepared = small_predictor.prepare_context(context).items
    second = small_predictor.predict(image, clicks=[(101, 100, True)], context=context)
    again = small_predictor.prepare_context(context).items
    assert all(a is b for a, b in zip(prepared, again))  # no item prepared again
    assert first.network == second.network == "multiverseg"
    new = (labelled_task["images"][4], labelled_task["masks"][4])
    grown = small_predictor.prepare_context(context + [new]).items
    assert all(a is b for a, b in zip(prepared, grown[:3]))  # only the new item is prepared
    assert grown[3].key not in {item.key for item in prepared}


def test_prepared_image_and_context_give_the_same_prediction(small_predictor, labelled_task):
    """What a session does: prepare once, then predict many times from prompts alone."""
    context = [(labelled_task["images"][i], labelled_task["masks"][i]) for i in (1, 2, 3)]
    image = labelled_task["images"][0].astype(np.uint16) * 40  # percentile-normalised
    prompts = Prompts((Click(100, 100, True), Box(30, 40, 200, 220)))
    direct = small_predictor.predict(image, prompts, context=context, max_context=2)
    prepared = small_predictor.predict(
        small_predictor.prepare_image(image),
        prompts,
        context=small_predictor.prepare_context(context),
        max_context=2,
    )
    np.testing.assert_array_equal(prepared.logits, direct.logits)
    assert prepared.context_used == direct.context_used and len(direct.context_used) == 2
    with pytest.raises(ValueError, match="outside"):
        small_predictor.predict(small_predictor.prepare_image(image), Prompts((Click(300, 1),)))


def test_context_guide_starts_a_context_only_prediction_from_the_forest(
    small_nets, labelled_task, monkeypatch
):
    """Real femur X-rays: the guide, fitted once per context set, finds the femur, and its
    logits are the network's previous prediction, only when there is nothing else to go on."""
    images, masks = labelled_task["images"], labelled_task["masks"]
    context = [(images[i], masks[i]) for i in (1, 2, 3)]
    guided, plain = Predictor(*small_nets, context_guide=True), Predictor(*small_nets)
    fitted, seen = [], []
    monkeypatch.setattr(
        context_guide_module, "ContextGuide", _recording(context_guide_module.ContextGuide, fitted)
    )
    forward = guided.forward_encoded
    monkeypatch.setattr(
        guided, "forward_encoded", lambda t, *rest: (seen.append(t), forward(t, *rest))[1]
    )
    first = guided.predict(images[0], context=context)
    small_truth = resize_image(masks[0].astype(np.float32))[0, 0].numpy() > 0.5
    assert dice(seen[0][0, 4].numpy() > 0, small_truth) > 0.4  # 0.56 when written
    assert not np.array_equal(first.logits, plain.predict(images[0], context=context).logits)
    guided.predict(images[4], context=context)
    assert len(fitted) == 1  # the same context set: the same fitted guide
    for kwargs in ({"clicks": [(100, 100, True)]}, {"prev_logits": first.logits}, {}):
        with_context = {"context": context} if kwargs else {}
        np.testing.assert_array_equal(  # prompts, previous logits or no context: no guide
            guided.predict(images[0], **kwargs, **with_context).logits,
            plain.predict(images[0], **kwargs, **with_context).logits,
        )
    assert len(fitted) == 1 and len(pickle.loads(pickle.dumps(guided.guides))) == 0


def _recording(cls: type, made: list) -> type:
    class Recording(cls):
        def __init__(self, *args, **kwargs):
            made.append(self)
            super().__init__(*args, **kwargs)

    return Recording


def test_max_context_keeps_the_most_similar_items(small_predictor, labelled_task):
    images, masks = labelled_task["images"], labelled_task["masks"]
    unrelated = np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (256, 1))
    context = [(unrelated, masks[1]), (images[1], masks[1]), (unrelated.T.copy(), masks[2])]
    pred = small_predictor.predict(images[0], context=context, max_context=1)
    assert pred.context_used == [1]
    every = small_predictor.predict(images[0], context=context)
    assert every.context_used == [0, 1, 2]


def test_rejects_unknown_device_and_precision(small_nets):
    from multiverseg_widget.model import Predictor

    with pytest.raises(ValueError, match="precision"):
        Predictor(*small_nets, precision="int4")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            Predictor(*small_nets, device="cuda")


def test_encode_inputs_places_prompts_on_the_model_grid(labelled_task):
    image = labelled_task["images"][0]  # 256 x 256: model grid is half the size
    x = encode_inputs(image, clicks=[(100, 50, True), (11, 201, False)], box=(20, 40, 60, 100))
    assert x.shape == (1, 5, 128, 128)
    assert x[0, 2, 25, 50] == 1 and x[0, 3, 25, 50] == 0  # positive click at (x=50, y=25)
    assert x[0, 3, 100, 5] == 1 and x[0, 2].sum() == 1  # negative click at (x=5, y=100)
    box = x[0, 1].nonzero()
    assert box[:, 0].min() == 20 and box[:, 0].max() == 49  # rows 20..49 (end exclusive)
    assert box[:, 1].min() == 10 and box[:, 1].max() == 29
    assert (x[0, 4] == 0).all()  # no previous logits
