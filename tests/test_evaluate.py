"""The sequential protocol's bookkeeping with the real small network, the baselines, the CLI."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from multiverseg_widget.cli import main
from multiverseg_widget.common.overlap import dice
from multiverseg_widget.evaluation.baselines import DiskModel, RandomWalkerModel
from multiverseg_widget.evaluation.context_forest import ContextForest
from multiverseg_widget.evaluation.protocol import (
    PROTOCOLS,
    Settings,
    run_evaluation,
    run_image,
    run_ordering,
)
from multiverseg_widget.evaluation.results import ImageResult, format_comparison
from multiverseg_widget.evaluation.tasks import Task, load_task
from multiverseg_widget.evaluation.users import CenterClickUser
from multiverseg_widget.model import save_checkpoint
from multiverseg_widget.model.context_check import ContextPolicy
from multiverseg_widget.prompts import Click, Prompts

from .conftest import DATA

HIPXRAY = DATA / "demo" / "medscribble_HipXRay.npz"  # a real task with 3 annotators' scribbles


class RecordingModel:
    """The real model, plus a record of the context each call received."""

    def __init__(self, model) -> None:
        self.model = model
        self.contexts: list[list] = []

    def predict(self, image, prompts=None, **kwargs):
        self.contexts.append(list(kwargs.get("context") or []))
        return self.model.predict(image, prompts, **kwargs)


@pytest.fixture(scope="module")
def hip3() -> Task:
    task = load_task(HIPXRAY)
    return Task(task.name, task.images[:3], task.masks[:3], task.scribbles[:3], task.path)


def disk_task(n: int = 3, radius: float = 13) -> Task:
    """Bright disks on a noisy dark background, one per image at a different place."""
    rng = np.random.default_rng(0)
    ys, xs = np.ogrid[:128, :128]
    masks = np.stack(
        [(xs - cx) ** 2 + (ys - cy) ** 2 <= radius**2 for cx, cy in rng.uniform(30, 98, (n, 2))]
    )
    images = (masks * 150 + 50 + rng.normal(0, 10, masks.shape)).clip(0, 255).astype(np.uint8)
    return Task("disks", images, masks)


def test_dice():
    a = np.zeros((10, 10), bool)
    b = a.copy()
    assert dice(a, b) == 1.0
    a[:5] = True
    assert dice(a, b) == 0.0 and dice(a, a) == 1.0
    b[:5, :5] = True
    assert dice(a, b) == pytest.approx(2 * 25 / 75)


def test_image_result_metrics():
    r = ImageResult(image=0, context_size=2, dice=[0.5, 0.82, 0.91], context_dice=0.3)
    assert r.steps == 3
    assert [r.dice_after(k) for k in (0, 1, 3, 5)] == [0.3, 0.5, 0.91, 0.91]
    assert r.interactions_to(0.8, cap=20) == 2 and r.interactions_to(0.95, cap=20) == 20
    assert r.interactions_to(0.25, cap=20) == 0
    assert ImageResult.from_json(json.loads(json.dumps(r.to_json()))) == r
    no_context = ImageResult(image=0, context_size=0, dice=[0.4])
    assert no_context.dice_after(0) is None and no_context.dice_after(3) == 0.4


@pytest.mark.parametrize(
    ("protocol", "cap"), [("clicks", 6), ("scribbles", 4), ("box", 4), ("human-scribbles", 10)]
)
def test_growing_gt_bookkeeping_with_the_small_network(small_predictor, hip3, protocol, cap):
    model = RecordingModel(small_predictor)
    spec = replace(PROTOCOLS[protocol], max_steps=cap)  # small caps: 2 shared CPU cores
    results = run_ordering(model, hip3, [2, 0, 1], spec, "growing-gt", 0.9, seed=0, k=0)
    assert [r.image for r in results] == [2, 0, 1]
    assert [r.context_size for r in results] == [0, 1, 2]
    if protocol == "human-scribbles":
        cap = 3  # the replay runs out after the third annotator
    for r in results:
        assert r.steps <= cap
        assert (r.context_dice is None) == (r.context_size == 0)
        assert len(r.seconds) == r.steps + (r.context_size > 0)
        assert all(0.0 <= d <= 1.0 for d in r.dice)
        assert r.reached == any(d >= 0.9 for d in [r.context_dice or 0.0, *r.dice])
        assert r.reached or r.steps == cap  # it stops early only at the target
    # growing-gt hands over the true masks of the finished images, in order
    last_context = model.contexts[-1]
    assert [m.tolist() for _, m in last_context] == [hip3.masks[i].tolist() for i in (2, 0)]


def test_growing_context_holds_the_accepted_predictions(small_predictor, hip3):
    clicks = replace(PROTOCOLS["clicks"], max_steps=3)
    model = RecordingModel(small_predictor)
    run_ordering(model, hip3, [0, 1], clicks, "growing", 0.9, seed=0, k=0)
    (image, accepted), *_ = model.contexts[-1]
    assert np.array_equal(image, hip3.images[0])
    assert accepted.dtype == bool and not np.array_equal(accepted, hip3.masks[0])
    model = RecordingModel(small_predictor)
    run_ordering(model, hip3, [0, 1], clicks, "none", 0.9, seed=0, k=0)
    assert all(c == [] for c in model.contexts)


def test_disk_baseline_reaches_high_dice_on_a_disk_task():
    results = run_evaluation(
        DiskModel(), [disk_task()], Settings("clicks"), ["none"], orderings=2, progress=False
    )
    summary = results["tasks"]["disks"]["modes"]["none"]["summary"]
    assert summary["reached_fraction"] == 1.0
    assert summary["mean_steps"] == 1.0 and summary["mean_dice_after_1"] > 0.9
    assert summary["steps_by_position"] == [1.0, 1.0, 1.0] and summary["total_steps"] == 3.0


def test_random_walker_baseline_segments_a_contrasted_disk():
    results = run_evaluation(
        RandomWalkerModel(), [disk_task(n=2)], Settings("clicks"), ["none"], 1, progress=False
    )
    summary = results["summary"]["none"]
    assert summary["reached_fraction"] == 1.0 and summary["mean_steps"] <= 3


def test_run_resumes_finished_orderings_and_refuses_other_settings(tmp_path):
    path = tmp_path / "run.json"
    task, settings = disk_task(), Settings("clicks", max_images=2)
    first = run_evaluation(DiskModel(), [task], settings, ["none"], 1, path, progress=False)
    again = run_evaluation(DiskModel(), [task], settings, ["none", "growing"], 2, path, False)
    orderings = again["tasks"]["disks"]["modes"]["none"]["orderings"]
    assert [o["ordering"] for o in orderings] == [0, 1]
    # the finished ordering was read back, not recomputed: its timings are the same numbers
    assert orderings[0] == first["tasks"]["disks"]["modes"]["none"]["orderings"][0]
    assert json.loads(path.read_text()) == json.loads(json.dumps(again))
    assert set(again["summary"]) == {"none", "growing"}
    with pytest.raises(ValueError, match="target_dice"):
        run_evaluation(DiskModel(), [task], Settings("clicks", 0.8, 2), ["none"], 1, path, False)


def test_cli_compare_writes_json_and_plot(tmp_path, small_nets, capsys):
    checkpoint = save_checkpoint(tmp_path / "small.pt", small_nets[0], scribbleprompt=small_nets[1])
    out_json, out_png = tmp_path / "out.json", tmp_path / "out.png"
    code = main(
        ["evaluate", str(HIPXRAY), "--protocol", "human-scribbles", "--compare",
         "--max-images", "3", "--orderings", "1",
         "--checkpoint", str(checkpoint), "--json", str(out_json), "--plot", str(out_png),
         "--no-progress", "--context-guide", "--adapt-context"]
    )  # fmt: skip
    assert code == 0
    results = json.loads(out_json.read_text())
    settings = results["settings"]  # a resumed run must match them
    assert settings["context_guide"] is True and settings["adapt_context"] is True
    assert set(results["summary"]) == {"none", "growing"}
    for mode in ("none", "growing"):
        summary = results["tasks"]["medscribble_HipXRay"]["modes"][mode]["summary"]
        assert summary.keys() >= {"mean_steps", "reached_fraction", "mean_dice_after_1"}
        assert set(summary["dice_after"]) == {"0", "1", "3", "5", "10", "20"}
        assert set(summary["interactions_to"]) == {"0.8", "0.85", "0.9"}
        assert len(summary["steps_by_position"]) == 3
    assert results["summary"]["none"]["mean_context_only_dice"] is None
    assert results["summary"]["growing"]["mean_context_only_dice"] is not None
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "reduction" in printed and format_comparison(results) in printed


def test_cli_records_the_context_sets_estimate_and_the_policy(tmp_path):
    out_json = tmp_path / "out.json"
    code = main(
        ["evaluate", str(HIPXRAY), "--context", "growing", "--max-images", "4", "--orderings",
         "1", "--json", str(out_json), "--no-progress", "--self-check"]
    )  # fmt: skip
    assert code == 0
    results = json.loads(out_json.read_text())
    assert results["settings"]["context_policy"] == vars(ContextPolicy())
    (ordering,) = results["tasks"]["medscribble_HipXRay"]["modes"]["growing"]["orderings"]
    images = ordering["images"]
    assert [image["context_estimate"] is None for image in images] == [True, True, False, False]
    for image in images[2:]:  # the femur's context predicts it: the guess is shown
        assert image["context_estimate"] > ContextPolicy().trust_dice
        assert image["guess_dice"] == image["context_dice"] > 0.5


def test_cli_reports_bad_input_clearly(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "missing.npz"), "--model", "disk"]) == 2
    assert "missing.npz" in capsys.readouterr().err
    np.savez(tmp_path / "bad.npz", images=np.zeros((2, 8, 8)))
    assert main(["evaluate", str(tmp_path / "bad.npz"), "--model", "disk"]) == 2
    assert "masks" in capsys.readouterr().err
    assert main(["evaluate", str(HIPXRAY), "--model", "disk", "--checkpoint", "x.pt"]) == 2
    assert main(["evaluate", str(HIPXRAY), "--compare", "--context", "none"]) == 2
    assert main(["evaluate", str(HIPXRAY), "--model", "disk", "--context-guide"]) == 2
    assert "--context-guide is for the networks" in capsys.readouterr().err
    assert main(["evaluate", str(HIPXRAY), "--model", "random-walker", "--adapt-context"]) == 2
    assert "--adapt-context is for the networks" in capsys.readouterr().err


class RecordingUser(CenterClickUser):
    """The center-click user, recording which of its two moves the protocol asked for."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def first(self, gt, rng):
        self.calls.append("first")
        return super().first(gt, rng)

    def correct(self, gt, pred_mask, rng):
        self.calls.append("correct")
        return super().correct(gt, pred_mask, rng)


@pytest.mark.parametrize("corrects_context,expected", [(True, "correct"), (False, "first")])
def test_first_interaction_after_a_context_prediction(small_predictor, hip3, corrects_context,
                                                      expected):  # fmt: skip
    user, rng = RecordingUser(), np.random.default_rng(0)
    context = [(hip3.images[1], hip3.masks[1])]
    result, _ = run_image(small_predictor, hip3.images[0], hip3.masks[0], 0, user, rng,
                          context, 0.99, 2, corrects_context)  # fmt: skip
    assert result.context_dice is not None and user.calls[0] == expected
    user = RecordingUser()
    run_image(small_predictor, hip3.images[0], hip3.masks[0], 0, user, rng, [], 0.99, 2)
    assert user.calls[0] == "first"  # no prediction yet: start from the ground truth


def test_context_forest_learns_the_structure_from_the_context():
    """The in-context yardstick: a random forest on multi-scale features of the context."""
    task = load_task(HIPXRAY)
    forest = ContextForest()
    context = [(task.images[i], task.masks[i]) for i in range(4)]
    pred = forest.predict(task.images[4], context=context)
    assert pred.mask.shape == task.masks[4].shape and pred.network == "context-forest"
    assert dice(pred.mask, task.masks[4]) > 0.5  # 0.62 when written
    assert not forest.predict(task.images[4]).mask.any()  # nothing to learn from: background
    y, x = np.argwhere(task.masks[4])[len(np.argwhere(task.masks[4])) // 2]
    clicked = forest.predict(task.images[4], Prompts((Click(x, y, True), Click(5, 5, False))))
    assert clicked.mask[y, x] and not clicked.mask[5, 5]
