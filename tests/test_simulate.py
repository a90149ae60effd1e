"""Simulated users: geometry on synthetic masks with known answers, determinism, real scribbles."""

from __future__ import annotations

import numpy as np
import pytest

from multiverseg_widget.simulate import (
    BoxUser,
    CenterClickUser,
    HumanScribbleUser,
    Interaction,
    Prompts,
    RandomClickUser,
    ScribbleUser,
    background_band,
    centerline_scribble,
    contour_scribble,
    deepest_point,
    error_regions,
    largest_component,
    largest_error,
    line_scribble,
    scribble_pixel_cap,
    tight_box,
)

from .conftest import DATA

SCRIBBLE_SHAPES = [centerline_scribble, line_scribble, contour_scribble]


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
    assert CenterClickUser().first(gt, rng()).clicks == ((60, 50, True),)


def test_center_click_correction_lands_inside_the_missed_component():
    found, missed = disk((96, 96), 20, 20, 8), disk((96, 96), 65, 60, 12)
    interaction = CenterClickUser().correct(found | missed, found, rng())
    ((x, y, positive),) = interaction.clicks
    assert positive and missed[y, x] and (x, y) == (65, 60)


def test_center_click_correction_is_negative_in_a_false_positive_region():
    gt = disk((96, 96), 30, 30, 12)
    spurious = np.zeros_like(gt)
    spurious[60:80, 55:90] = True
    ((x, y, positive),) = CenterClickUser().correct(gt, gt | spurious, rng()).clicks
    assert not positive and spurious[y, x]
    assert CenterClickUser().correct(gt, gt, rng()) is None


def test_random_clicks_land_in_the_truth_then_in_the_error_with_the_right_sign():
    gt, pred = disk((64, 64), 25, 25, 10), disk((64, 64), 35, 25, 10)
    user = RandomClickUser()
    for seed in range(20):
        ((x, y, positive),) = user.first(gt, rng(seed)).clicks
        assert positive and gt[y, x]
        ((x, y, positive),) = user.correct(gt, pred, rng(seed)).clicks
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
    positive, negative = interaction.positive_scribble, interaction.negative_scribble
    assert positive.any() and not (positive & ~gt).any()
    assert negative.any() and not (negative & ~background_band(gt, 0.08 * 128)).any()


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
        if interaction.positive_scribble is not None:
            positives += 1
            assert not (interaction.positive_scribble & ~missed).any()
        else:
            assert not (interaction.negative_scribble & ~false).any()
    assert abs(positives / 300 - 0.75) < 0.08
    assert user.correct(gt, gt, rng()) is None


def test_users_are_deterministic_for_a_seed():
    gt = disk((128, 128), 60, 70, 30)
    pred = disk((128, 128), 70, 70, 30)
    for user in (CenterClickUser(), RandomClickUser(), ScribbleUser("centerline"),
                 ScribbleUser("line"), ScribbleUser("contour"), BoxUser(jitter=0.2)):  # fmt: skip
        for call in (lambda r, u=user: u.first(gt, r), lambda r, u=user: u.correct(gt, pred, r)):
            a, b = call(rng(7)), call(rng(7))
            assert a.clicks == b.clicks and a.box == b.box
            for name in ("positive_scribble", "negative_scribble"):
                x, y = getattr(a, name), getattr(b, name)
                assert (x is None and y is None) or np.array_equal(x, y)
    first = [ScribbleUser().first(gt, rng(s)).positive_scribble for s in range(3)]
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
    assert user.first(gt, rng()).box == (30, 40, 51, 61)
    ((x, y, positive),) = user.correct(gt, np.zeros_like(gt), rng()).clicks
    assert (x, y, positive) == (40, 50, True)


def test_empty_ground_truth_gives_negative_first_prompts():
    empty = np.zeros((40, 40), bool)
    ((_, _, positive),) = CenterClickUser().first(empty, rng()).clicks
    assert not positive
    assert not BoxUser().first(empty, rng()).clicks[0][2]
    interaction = ScribbleUser().first(empty, rng())
    assert interaction.positive_scribble is None and interaction.negative_scribble.any()


def test_human_scribbles_replay_annotator_by_annotator():
    with np.load(DATA / "eval" / "medscribble_OASIS.npz") as f:
        scribbles, gt = f["scribbles"][0], f["masks"][0] > 0
    user = HumanScribbleUser(scribbles)
    steps = [user.first(gt, rng())]
    while (step := user.correct(gt, gt, rng())) is not None:
        steps.append(step)
    assert len(steps) == 3
    for annotator, step in enumerate(steps):
        assert np.array_equal(step.positive_scribble, scribbles[annotator, 0] > 0)
        assert np.array_equal(step.negative_scribble, scribbles[annotator, 1] > 0)
    assert np.array_equal(user.first(gt, rng()).positive_scribble, scribbles[0, 0] > 0)
    with pytest.raises(ValueError, match="annotators"):
        HumanScribbleUser(scribbles[0])


def test_prompts_accumulate_into_predictor_arguments(small_predictor):
    with np.load(DATA / "eval" / "medscribble_OASIS.npz") as f:
        image, gt = f["images"][0], f["masks"][0] > 0
    prompts = Prompts()
    assert prompts.kwargs() == {"clicks": None, "box": None, "scribbles": None}
    user = ScribbleUser()
    prompts.add(user.first(gt, rng()))
    prompts.add(Interaction(clicks=((3, 4, False),), box=(0, 0, 10, 10)))
    prompts.add(Interaction(clicks=((5, 6, True),), box=(1, 1, 20, 20)))
    first_positive = prompts.positive.copy()
    prompts.add(Interaction(positive_scribble=disk(gt.shape, 200, 200, 3)))
    kwargs = prompts.kwargs()
    assert kwargs["clicks"] == [(3, 4, False), (5, 6, True)] and kwargs["box"] == (1, 1, 20, 20)
    positive, negative = kwargs["scribbles"]
    assert (positive >= first_positive).all() and positive[200, 200] and negative.any()
    pred = small_predictor.predict(image, **kwargs)
    assert pred.mask.shape == gt.shape
