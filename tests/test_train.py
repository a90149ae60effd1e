"""The training pipeline: synthetic tasks are consistent, a run resumes where it stopped."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import numpy as np
import pytest
import torch
from scipy import ndimage

from multiverseg_widget.common.overlap import dice
from multiverseg_widget.evaluation.geometry import STRAY_MARGIN
from multiverseg_widget.model import load_model
from multiverseg_widget.model.checkpoint import read_checkpoint_file
from multiverseg_widget.model.multiverseg_net import MultiverSegNet
from multiverseg_widget.prompts import scribble_masks
from multiverseg_widget.train.batch import Batch
from multiverseg_widget.train.config import TrainConfig
from multiverseg_widget.train.forest_guess import forest_guesses
from multiverseg_widget.train.interactions import SimulatedAnnotation
from multiverseg_widget.train.loop import click_weights, train, train_step, training_precision
from multiverseg_widget.train.real_tasks import load_tasks
from multiverseg_widget.train.synthetic import KINDS, MIN_TARGET_PIXELS, synthetic_task
from multiverseg_widget.train.validate import validate

from .conftest import DATA


def test_synthetic_tasks_are_deterministic_and_hold_their_target():
    for size in (64, 128):
        a = synthetic_task(5, size, torch.Generator().manual_seed(3))
        b = synthetic_task(5, size, torch.Generator().manual_seed(3))
        assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
        images, masks = a
        assert images.shape == masks.shape == (5, 1, size, size)
        assert images.min() >= 0 and images.max() <= 1
        assert set(masks.unique().tolist()) <= {0.0, 1.0}
        assert (masks.sum(dim=(1, 2, 3)) >= MIN_TARGET_PIXELS).all()


def test_every_structure_kind_draws_something():
    from multiverseg_widget.train.synthetic import DRAW

    gen = torch.Generator().manual_seed(0)
    for kind in KINDS:
        masks = DRAW[kind](4, 64, gen, "cpu")
        assert masks.shape == (4, 64, 64) and masks.any(), kind


def test_short_run_writes_checkpoints_and_resumes(tmp_path):
    config = TrainConfig(
        encoder_blocks=[8, 8, 8, 8], batch_size=2, max_context=2, validate_every=2,
        corrective_rounds=1, data_dir=str(DATA / "train"),
    )  # fmt: skip
    first = train(config, tmp_path, time_limit_minutes=10, max_steps=2)
    assert first["step"] == 2
    assert (tmp_path / "last.pt").is_file() and (tmp_path / "best.pt").is_file()
    history = [json.loads(line) for line in (tmp_path / "history.jsonl").read_text().splitlines()]
    assert {"click1", "click3", "context", "context_click1", "score"} <= set(history[0])
    beside_the_score = {"fp_removed", "fp_outside", "stray_scribble", "forest", "guided"}
    assert beside_the_score <= set(history[0])
    config.validate_every = 100  # schedule settings may change between sessions
    second = train(config, tmp_path, time_limit_minutes=10, max_steps=1)
    assert second["step"] == 3 and second["samples"] == 6
    config.encoder_blocks = [8, 8, 8, 16]
    with pytest.raises(ValueError, match="another shape"):
        train(config, tmp_path, time_limit_minutes=10, max_steps=1)
    config.encoder_blocks = [8, 8, 8, 8]
    fresh = tmp_path / "continued"
    third = train(config, fresh, time_limit_minutes=10, max_steps=1, init=tmp_path / "best.pt")
    assert third["step"] == 3  # best.pt was written at step 2: its progress carries on
    model = load_model(tmp_path / "best.pt")  # the best weights load as a normal checkpoint
    assert model.metadata["train_config"]["encoder_blocks"] == [8, 8, 8, 8]


def test_init_continues_the_recipe_recorded_in_its_checkpoint(tmp_path):
    from multiverseg_widget.train.cli import base_settings

    torch.save({"metadata": {"train_config": {"lr": 3e-4, "ema_decay": 0.995}}}, tmp_path / "a.pt")
    settings = base_settings(None, str(tmp_path / "run"), str(tmp_path / "a.pt"))
    assert settings == {**TrainConfig().to_dict(), "lr": 3e-4, "ema_decay": 0.995}
    torch.save({"metadata": {}}, tmp_path / "bare.pt")  # no recipe recorded: the defaults
    assert base_settings(None, str(tmp_path / "run"), str(tmp_path / "bare.pt")) == (
        TrainConfig().to_dict()
    )


def test_false_positive_clicks_aim_at_the_largest_false_component_and_weigh_it():
    gt = np.zeros((32, 32), bool)
    gt[4:12, 4:12] = True
    pred = gt.copy()
    pred[20:30, 18:28] = True  # the largest false positive: its deepest point is (22, 24)
    pred[0:2, 30:32] = True
    sim = SimulatedAnnotation(gt, np.random.default_rng(0), prompt_first=False,
                              false_positive_clicks=1.0)  # fmt: skip
    sim.correct(pred)
    (click,) = sim.prompts.clicks
    assert (click.x, click.y, click.positive) == (22, 24, False)
    assert len(sim.removed) == 1 and sim.removed[0].sum() == 100
    missed = np.zeros_like(gt)  # no false positive: the usual correction, a positive click
    sim.correct(missed)
    assert sim.prompts.clicks[-1].positive and len(sim.removed) == 1
    config = TrainConfig(click_loss_weight=0.0, false_positive_loss_weight=3.0)
    weights = click_weights([sim], torch.zeros(1, 1, 32, 32), config)[0, 0].numpy()
    assert weights[25, 22] == 4.0 and weights[5, 5] == 1.0 and weights[0, 31] == 1.0


def test_stray_scribbles_mark_background_far_from_truth_and_prediction():
    gt = np.zeros((64, 64), bool)
    gt[4:14, 4:14] = True
    pred = gt.copy()
    pred[30:40, 30:40] = True
    sim = SimulatedAnnotation(gt, np.random.default_rng(0), prompt_first=False,
                              stray_scribbles=1.0)  # fmt: skip
    sim.correct(pred)
    assert not sim.prompts.clicks  # the correction was the scribble, not a click
    stroke = scribble_masks(sim.prompts, gt.shape)[1]
    margin = STRAY_MARGIN * 64
    assert stroke is not None and stroke.any()
    assert ndimage.distance_transform_edt(~(gt | pred))[stroke].min() > margin
    full = np.ones_like(gt)  # no room left for a stray scribble: the usual correction
    sim.correct(full)
    assert len(sim.prompts.clicks) == 1 and not sim.prompts.clicks[0].positive


def test_forest_guesses_are_the_context_forests_answer_as_logits():
    """Real nuclei: the forest trained on 3 context images finds the target's nuclei; samples
    that draw no guess get zeros, which the network reads as no previous prediction."""
    (task,), _ = load_tasks(DATA / "train", holdout_fraction=0.0)
    images, support = task.images[:2], torch.cat([task.images[2:5], task.masks[2:5]], dim=1)
    support = torch.stack([support, support])
    rng = np.random.default_rng(0)
    guesses = forest_guesses(images, support, 1.0, rng)
    assert guesses is not None and guesses.shape == images.shape
    for guess, mask in zip(guesses, task.masks[:2]):
        assert dice(guess[0].numpy() > 0, mask[0].numpy() > 0.5) > 0.7  # 0.93 and 0.91 when written
    assert forest_guesses(images, support, 0.0, rng) is None
    small = torch.nn.functional.interpolate(images, size=(64, 64))
    small_support = torch.nn.functional.interpolate(support.flatten(0, 1), size=(64, 64))
    guesses = forest_guesses(small, small_support.view(2, 3, 2, 64, 64), 1.0, rng)
    assert guesses.shape == (2, 1, 64, 64)  # low-resolution training gets its own size


def test_a_training_step_learns_from_forest_guesses():
    (task,), _ = load_tasks(DATA / "train", holdout_fraction=0.0)
    support = torch.cat([task.images[2:5], task.masks[2:5]], dim=1)
    batch = Batch(task.images[:2], task.masks[:2], torch.stack([support, support]))
    config = TrainConfig(encoder_blocks=[8, 8, 8, 8], corrective_rounds=1,
                         forest_guess_fraction=1.0)  # fmt: skip
    torch.manual_seed(0)
    net = MultiverSegNet(**config.network_config())
    before = [p.detach().clone() for p in net.parameters()]
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    loss = train_step(net, optimizer, batch, config, np.random.default_rng(0))
    assert np.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_guided_validation_starts_every_context_episode_from_the_guide():
    _, held = load_tasks(DATA / "train", holdout_fraction=0.5)
    torch.manual_seed(0)
    net = MultiverSegNet(**TrainConfig(encoder_blocks=[8, 8, 8, 8]).network_config())
    plain, guided = validate(net, held, "cpu"), validate(net, held, "cpu", guided=True)
    assert guided["context"] == pytest.approx(plain["guided"])
    assert guided["context"] != plain["context"] and guided["click1"] == plain["click1"]


def test_training_precision_is_fp32_on_the_cpu_unless_asked():
    cpu = torch.device("cpu")
    assert training_precision("auto", cpu) == "fp32"  # bf16 steps measured no faster here
    assert training_precision("bf16", cpu) == "bf16" and training_precision("fp32", cpu) == "fp32"


def test_weight_average_is_validated_beside_the_weights_and_resumes(tmp_path):
    config = TrainConfig(
        encoder_blocks=[8, 8, 8, 8], batch_size=2, max_context=2, validate_every=2,
        corrective_rounds=1, ema_decay=0.5, data_dir=str(DATA / "train"),
    )  # fmt: skip
    train(config, tmp_path, time_limit_minutes=10, max_steps=2)
    record = json.loads((tmp_path / "history.jsonl").read_text().splitlines()[0])
    assert {"click1", "context", "score"} <= set(record["ema"])
    saved = torch.load(tmp_path / "last.pt", weights_only=True)
    trained, averaged = saved["model"], saved["weight_average"]
    assert trained.keys() == averaged.keys()
    # Two steps with decay 0.5 leave the average between the start and the trained weights.
    assert any(not torch.equal(trained[k], averaged[k]) for k in trained)
    best = read_checkpoint_file(tmp_path / "best.pt")
    chosen = best["metadata"]["validation"]["weights"]
    expected = averaged if chosen == "ema" else trained
    state = best["multiverseg"]["state_dict"]
    assert all(torch.equal(state[k], expected[k]) for k in state)
    train(config, tmp_path, time_limit_minutes=10, max_steps=1)
    resumed = torch.load(tmp_path / "last.pt", weights_only=True)["weight_average"]
    assert any(not torch.equal(resumed[k], averaged[k]) for k in averaged)
    with pytest.raises(ValueError, match="precision must be one of auto, bf16, fp32"):
        train(TrainConfig(precision="fp16", data_dir=config.data_dir), tmp_path / "y", 1)
    with pytest.raises(ValueError, match="ema_decay"):
        train(TrainConfig(ema_decay=1.0, data_dir=config.data_dir), tmp_path / "x", 1, max_steps=1)


def test_sigterm_stops_cleanly_and_keeps_the_run(tmp_path):
    settings = ["encoder_blocks=[8,8,8,8]", "batch_size=2", "max_context=2", "corrective_rounds=1",
                f"data_dir={json.dumps(str(DATA / 'train'))}"]  # fmt: skip
    command = [sys.executable, "-m", "multiverseg_widget.train", "--minutes", "30",
               "--run-dir", str(tmp_path), "--device", "cpu", "--set", *settings]  # fmt: skip
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    printed = []
    for line in run.stdout:  # training has started (a fixed wait failed on a loaded machine)
        printed.append(line)
        if line.startswith("step "):
            break
    run.send_signal(signal.SIGTERM)
    out, _ = run.communicate(timeout=120)
    out = "".join(printed) + out
    assert run.returncode == 0, out
    assert "stopped: step" in out
    saved = torch.load(tmp_path / "last.pt", weights_only=True)
    assert saved["state"]["samples"] == 2 * saved["state"]["step"]

    # Resuming from the command line keeps the run's own settings; --set changes only its keys.
    again = [*command[: -len(settings)], "batch_size=3", "--max-steps", "1"]
    out = subprocess.run(again, capture_output=True, text=True, check=True).stderr  # logged
    assert "resuming with changed settings: {'batch_size': 3}" in out, out
    resumed = torch.load(tmp_path / "last.pt", weights_only=True)
    assert resumed["config"]["encoder_blocks"] == [8, 8, 8, 8]
    assert resumed["state"]["samples"] == saved["state"]["samples"] + 3
