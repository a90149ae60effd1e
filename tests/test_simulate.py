"""Simulated users: geometry on synthetic masks with known answers, determinism, real scribbles."""

from __future__ import annotations

import numpy as np
import pytest

from multiverseg_widget.evaluation.geometry import (
    background_band,
    centerline_scribble,
    contour_scribble,
    deepest_point,
    distant_background,
    error_regions,
    largest_component,
    largest_error,
    line_scribble,
    scribble_pixel_cap,
    tight_box,
)
from multiverseg_widget.evaluation.users import (
    BoxUser,
    CenterClickUser,
    HumanScribbleUser,
    RandomClickUser,
    ScribbleUser,
)
from multiverseg_widget.prompts import Box, Click, Prompts, Stroke, rasterise, scribble_masks

from .conftest import DATA

SCRIBBLE_SHAPES = [centerline_scribble, line_scribble, contour_scribble]


def xyp(prompts: Prompts) -> list[tuple[int, int, bool]]:
    """A user's clicks as (x, y, positive) pixel triples."""
    return [(int(c.x), int(c.y), c.positive) for c in prompts.clicks]


def scribble(prompts: Prompts, positive: bool, shape: tuple[int, int]) -> np.ndarray | None:
    """The scribble mask of one polarity that a user gave (None when none)."""
    return rasterise([s for s in prompts.strokes if s.positive == positive], shape)


def disk(shape: tuple[int, int], cx: float, cy: float, r: float) -> np.ndarray:
    ys, xs = np.ogrid[: shape[0], : shape[1]]
    return (xs - cx) ** 2 + (ys - cy) ** 2 <= r**2


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_deepest_point_of_a_disk_is_its_centre_at_any_resolution():
    assert deepest_point(disk((64, 80), 40, 30, 10)) == (40, 30)
    assert deepest_point(disk((301, 157), 100, 211, 37)) == (100, 211)


def test_deepest_point_treats_the_image_edge_as_border():
    # the whole image is the mask: the deepest point is the image centre, not a corner
    assert deepest_point(np.ones((21, 31), bool)) == (15, 10)
    with pytest.raises(ValueError, match="non-empty"):
        deepest_point(np.zeros((5, 5), bool))


def test_largest_component_keeps_the_bigger_blob():
    small, big = disk((64, 64), 10, 10, 4), disk((64, 64), 40, 40, 9)
    kept = largest_component(small | big)
    assert np.array_equal(kept, big)
    assert not largest_component(np.zeros((8, 8), bool)).any()


def test_error_regions_and_largest_error():
    gt, pred = disk((64, 64), 20, 20, 8), disk((64, 64), 24, 20, 8)
    missed, false = error_regions(gt, pred)
    assert np.array_equal(missed, gt & ~pred) and np.array_equal(false, pred & ~gt)
    assert largest_error(gt, gt) is None
    region, positive = largest_error(gt, np.zeros_like(gt))
    assert positive and np.array_equal(region, gt)


def test_center_click_first_is_positive_at_the_centre_of_the_largest_structure():
    gt = disk((96, 96), 20, 20, 5) | disk((96, 96), 60, 50, 15)
    assert CenterClickUser().first(gt, rng()).clicks == [Click(60, 50, True)]


def test_center_click_correction_lands_inside_the_missed_component():
    found, missed = disk((96, 96), 20, 20, 8), disk((96, 96), 65, 60, 12)
    interaction = CenterClickUser().correct(found | missed, found, rng())
    ((x, y, positive),) = xyp(interaction)
    assert positive and missed[y, x] and (x, y) == (65, 60)


def test_center_click_correction_is_negative_in_a_false_positive_region():
    gt = disk((96, 96), 30, 30, 12)
    spurious = np.zeros_like(gt)
    spurious[60:80, 55:90] = True
    ((x, y, positive),) = xyp(CenterClickUser().correct(gt, gt | spurious, rng()))
    assert not positive and spurious[y, x]
    assert CenterClickUser().correct(gt, gt, rng()) is None


def test_random_clicks_land_in_the_truth_then_in_the_error_with_the_right_sign():
    gt, pred = disk((64, 64), 25, 25, 10), disk((64, 64), 35, 25, 10)
    user = RandomClickUser()
    for seed in range(20):
        ((x, y, positive),) = xyp(user.first(gt, rng(seed)))
        assert positive and gt[y, x]
        ((x, y, positive),) = xyp(user.correct(gt, pred, rng(seed)))
        assert gt[y, x] != pred[y, x] and positive == bool(gt[y, x])
    assert user.correct(gt, gt, rng()) is None


@pytest.mark.parametrize("draw", SCRIBBLE_SHAPES)
@pytest.mark.parametrize("shape", [(128, 128), (256, 200)])
def test_scribbles_stay_inside_their_region_and_respect_the_pixel_cap(draw, shape):
    region = np.zeros(shape, bool)
    region[8:-8, 10:-10] = True  # a big square: its skeleton and contour exceed the cap
    region &= ~disk(shape, shape[1] / 2, shape[0] / 2, 20)  # with a hole
    cap = scribble_pixel_cap(shape)
    for seed in range(10):
        stroke = draw(region, rng(seed))
        assert stroke.shape == shape and stroke.dtype == bool
        assert stroke.any() and not (stroke & ~region).any()
        assert stroke.sum() <= cap
        assert draw(region, rng(seed), max_pixels=15).sum() <= 15


def test_scribble_cap_scales_with_the_image_side():
    assert scribble_pixel_cap((128, 128)) == 128
    assert scribble_pixel_cap((256, 256)) == 256
    assert scribble_pixel_cap((64, 64)) == 64


@pytest.mark.parametrize("draw", SCRIBBLE_SHAPES)
def test_scribbles_on_tiny_and_empty_regions(draw):
    tiny = np.zeros((128, 128), bool)
    tiny[40, 50] = True
    assert np.array_equal(draw(tiny, rng()), tiny)
    assert not draw(np.zeros((32, 32), bool), rng()).any()


def test_centerline_scribble_follows_the_middle_of_a_bar():
    bar = np.zeros((128, 128), bool)
    bar[54:75, 10:118] = True  # 21 pixels high: its centreline is row 64
    rows = []
    for seed in range(10):
        ys, _ = np.nonzero(centerline_scribble(bar, rng(seed)))
        assert len(ys) > 20
        rows.append(np.median(ys))
    assert abs(np.mean(rows) - 64) <= 2  # warped by a few pixels each, centred on average


def test_scribble_user_first_marks_structure_and_the_band_around_it():
    gt = disk((128, 128), 64, 64, 25)
    interaction = ScribbleUser().first(gt, rng(1))
    positive, negative = (
        scribble(interaction, True, gt.shape),
        scribble(interaction, False, gt.shape),
    )
    assert positive.any() and not (positive & ~gt).any()
    assert negative.any() and not (negative & ~background_band(gt, 0.08 * 128)).any()


def test_distant_background_keeps_its_margin_from_truth_and_prediction():
    gt = np.zeros((64, 64), bool)
    gt[10:20, 10:20] = True
    pred = np.zeros_like(gt)
    pred[40:50, 40:50] = True
    far = distant_background(gt, pred, 5)
    assert far.any() and not (far & (gt | pred)).any()
    assert not far[14, 24] and far[14, 25]  # 5 pixels right of the structure, then beyond
    assert not far[45, 35] and far[45, 34]  # likewise left of the prediction
    assert distant_background(np.zeros_like(gt), np.zeros_like(gt), 5).all()


def test_scribble_correction_region_is_chosen_in_proportion_to_area():
    gt = np.zeros((128, 128), bool)
    gt[10:70, 10:70] = True  # 3600 missed pixels
    pred = gt.copy()
    pred[10:70, 10:70] = False
    pred[80:110, 80:120] = True  # 1200 false pixels
    missed, false = error_regions(gt, pred)
    user = ScribbleUser()
    positives = 0
    for seed in range(300):
        interaction = user.correct(gt, pred, rng(seed))
        drawn = scribble(interaction, True, gt.shape)
        if drawn is not None:
            positives += 1
            assert not (drawn & ~missed).any()
        else:
            assert not (scribble(interaction, False, gt.shape) & ~false).any()
    assert abs(positives / 300 - 0.75) < 0.08
    assert user.correct(gt, gt, rng()) is None


def test_users_are_deterministic_for_a_seed():
    gt = disk((128, 128), 60, 70, 30)
    pred = disk((128, 128), 70, 70, 30)
    for user in (CenterClickUser(), RandomClickUser(), ScribbleUser("centerline"),
                 ScribbleUser("line"), ScribbleUser("contour"), BoxUser(jitter=0.2)):  # fmt: skip
        for call in (lambda r, u=user: u.first(gt, r), lambda r, u=user: u.correct(gt, pred, r)):
            assert call(rng(7)) == call(rng(7))
    first = [scribble(ScribbleUser().first(gt, rng(s)), True, gt.shape) for s in range(3)]
    assert not (np.array_equal(first[0], first[1]) and np.array_equal(first[1], first[2]))


def test_tight_box_is_end_exclusive_and_jitter_only_grows_it():
    mask = np.zeros((50, 60), bool)
    mask[10:20, 5:15] = True
    assert tight_box(mask) == (5, 10, 15, 20)
    for seed in range(20):
        x0, y0, x1, y1 = tight_box(mask, rng(seed), jitter=0.5)
        assert 0 <= x0 <= 5 and 0 <= y0 <= 10 and 15 <= x1 <= 60 and 20 <= y1 <= 50
    with pytest.raises(ValueError):
        tight_box(mask, jitter=0.1)


def test_box_user_draws_the_box_then_corrects_with_center_clicks():
    gt = disk((96, 96), 40, 50, 10)
    user = BoxUser()
    assert user.first(gt, rng()).box == Box(30, 40, 51, 61)
    ((x, y, positive),) = xyp(user.correct(gt, np.zeros_like(gt), rng()))
    assert (x, y, positive) == (40, 50, True)


def test_empty_ground_truth_gives_negative_first_prompts():
    empty = np.zeros((40, 40), bool)
    ((_, _, positive),) = xyp(CenterClickUser().first(empty, rng()))
    assert not positive
    assert not BoxUser().first(empty, rng()).clicks[0].positive
    interaction = ScribbleUser().first(empty, rng())
    assert scribble(interaction, True, empty.shape) is None
    assert scribble(interaction, False, empty.shape).any()


def test_human_scribbles_replay_annotator_by_annotator():
    with np.load(DATA / "demo" / "medscribble_HipXRay.npz") as f:
        scribbles, gt = f["scribbles"][0], f["masks"][0] > 0
    user = HumanScribbleUser(scribbles)
    steps = [user.first(gt, rng())]
    while (step := user.correct(gt, gt, rng())) is not None:
        steps.append(step)
    assert len(steps) == 3
    for annotator, step in enumerate(steps):
        assert np.array_equal(scribble(step, True, gt.shape), scribbles[annotator, 0] > 0)
        assert np.array_equal(scribble(step, False, gt.shape), scribbles[annotator, 1] > 0)
    replayed = scribble(user.first(gt, rng()), True, gt.shape)
    assert np.array_equal(replayed, scribbles[0, 0] > 0)
    with pytest.raises(ValueError, match="annotators"):
        HumanScribbleUser(scribbles[0])


def test_prompts_accumulate_into_predictor_arguments(small_predictor):
    with np.load(DATA / "demo" / "medscribble_HipXRay.npz") as f:
        image, gt = f["images"][0], f["masks"][0] > 0
    user = ScribbleUser()
    prompts = user.first(gt, rng()) + [Click(3, 4, False), Box(0, 0, 10, 10)]
    prompts += [Click(5, 6, True), Box(1, 1, 20, 20)]
    first_positive = scribble(prompts, True, gt.shape)
    prompts += Prompts((Stroke(((200, 200),), True, 7),))
    assert xyp(prompts) == [(3, 4, False), (5, 6, True)] and prompts.box == Box(1, 1, 20, 20)
    positive, negative = scribble_masks(prompts, gt.shape)
    assert (positive >= first_positive).all() and positive[200, 200] and negative.any()
    pred = small_predictor.predict(image, prompts)
    assert pred.mask.shape == gt.shape
