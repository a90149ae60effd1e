"""The built-in weights: they load offline, their card tells the truth about them, and they
learned something (a clear margin over an untrained network of the same shape)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import multiverseg_widget as mvw
from multiverseg_widget.evaluation.protocol import run_image
from multiverseg_widget.evaluation.users import CenterClickUser
from multiverseg_widget.model import MultiverSegNet, Predictor
from multiverseg_widget.model.load import DEFAULT_CHECKPOINT

CARD = DEFAULT_CHECKPOINT.parent / "MODEL_CARD.md"


@pytest.fixture(scope="module")
def default_model() -> Predictor:
    return mvw.load_model()


def test_checkpoint_loads_with_weights_only_and_carries_its_recipe(default_model):
    raw = torch.load(DEFAULT_CHECKPOINT, weights_only=True)
    assert raw["format"] == "multiverseg-widget"
    meta = default_model.metadata
    assert (
        meta["train_config"]["encoder_blocks"] == default_model.multiverseg.config["encoder_blocks"]
    )
    assert meta["samples"] > 0 and meta["steps"] > 0


def test_model_card_matches_the_checkpoint(default_model):
    card = CARD.read_text()
    meta = default_model.metadata
    assert f"{meta['steps']:,} steps" in card
    assert f"{meta['samples']:,} training samples" in card
    assert str(meta["train_config"]["encoder_blocks"]) in card


def _mean_dice_after_clicks(model: Predictor, images, masks, clicks: int) -> float:
    """Mean Dice after ``clicks`` center clicks (no context), by the evaluation protocol."""
    scores = []
    for i, (image, gt) in enumerate(zip(images, masks)):
        user, rng = CenterClickUser(), np.random.default_rng(0)
        # a target above 1 is never reached: every image gets all its clicks
        result, _ = run_image(model, image, gt, i, user, rng, [], 1.01, clicks)
        scores.append(result.dice[-1])
    return float(np.mean(scores))


def test_trained_weights_beat_an_untrained_network(default_model, labelled_task):
    torch.manual_seed(0)
    untrained = Predictor(MultiverSegNet(**default_model.multiverseg.config))
    images, masks = labelled_task["images"], labelled_task["masks"].astype(bool)
    trained_dice = _mean_dice_after_clicks(default_model, images, masks, clicks=3)
    untrained_dice = _mean_dice_after_clicks(untrained, images, masks, clicks=3)
    assert trained_dice > untrained_dice + 0.2, (trained_dice, untrained_dice)
