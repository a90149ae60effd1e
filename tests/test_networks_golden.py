"""The networks reproduce the official code's outputs and state dicts exactly."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

from multiverseg_widget.model import MultiverSegNet, ScribblePromptUNet
from multiverseg_widget.model.resampling import max_pool2x, upsample2x

from .conftest import COMPAT, load_golden

# b2_128 holds the official b2_128_s013 and b2_128_s5 files' cases (same inputs; see data/README)
MVS_FILES = [
    "multiverseg_small_golden_b1_128.pt",
    "multiverseg_small_golden_b2_128.pt",
    "multiverseg_small_golden_misc.pt",
]
ATOL = 1e-5


def mvs_cases():
    for name in MVS_FILES:
        golden = load_golden(name)
        groups = golden.get("groups") or {"all": golden}
        for group, data in groups.items():
            for case in data["outputs"]:
                yield pytest.param(name, group, case, id=f"{name}-{group}-{case}")


@pytest.mark.parametrize("name,group,case", list(mvs_cases()))
def test_multiverseg_matches_official_output(name, group, case):
    golden = load_golden(name)
    net = MultiverSegNet(**golden["config"])
    net.load_state_dict(golden["state_dict"], strict=True)
    data = (golden.get("groups") or {"all": golden})[group]
    k = int(case[1:])
    inputs = data["inputs"]
    support = (
        (inputs["support_images"][:, :k], inputs["support_labels"][:, :k]) if k else (None, None)
    )
    with torch.inference_mode():
        out = net.eval()(inputs["target_image"], *support)
    torch.testing.assert_close(out, data["outputs"][case], atol=ATOL, rtol=0)


def test_multiverseg_training_path_matches_official_output():
    """Under autograd the CrossBlocks add out of place (in place on a view would slow the
    backward): the outputs stay the official ones, and gradients reach every support item."""
    golden = load_golden("multiverseg_small_golden_b2_128.pt")
    data = next(iter((golden.get("groups") or {"all": golden}).values()))
    case = max(data["outputs"], key=lambda c: int(c[1:]))
    k = int(case[1:])
    net = MultiverSegNet(**golden["config"])
    net.load_state_dict(golden["state_dict"])
    inputs = data["inputs"]
    support_images = inputs["support_images"][:, :k].clone().requires_grad_(True)
    out = net.eval()(inputs["target_image"], support_images, inputs["support_labels"][:, :k])
    torch.testing.assert_close(out.detach(), data["outputs"][case], atol=ATOL, rtol=0)
    out.sum().backward()
    assert k > 1 and (support_images.grad.abs().sum(dim=(0, 2, 3, 4)) > 0).all()


def test_multiverseg_empty_support_equals_dummy_path():
    golden = load_golden("multiverseg_small_golden_b1_128.pt")
    net = MultiverSegNet(**golden["config"])
    net.load_state_dict(golden["state_dict"])
    target = golden["inputs"]["target_image"]
    empty = torch.zeros(1, 0, 1, 128, 128)
    with torch.inference_mode():
        torch.testing.assert_close(
            net(target, empty, empty), golden["outputs"]["S0"], atol=ATOL, rtol=0
        )


@pytest.mark.parametrize("case", ["b1_128", "b2_128", "b1_64x96"])
def test_scribbleprompt_matches_official_output(case):
    golden = load_golden("scribbleprompt_unet_small_golden.pt")
    net = ScribblePromptUNet(**golden["config"])
    net.load_state_dict(golden["state_dict"], strict=True)
    with torch.inference_mode():
        out = net.eval()(golden["cases"][case]["input"])
    torch.testing.assert_close(out, golden["cases"][case]["output"], atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    "manifest,cls",
    [
        ("multiverseg_v1_state_dict_shapes.json", MultiverSegNet),
        ("scribbleprompt_unet_v1_state_dict_shapes.json", ScribblePromptUNet),
    ],
)
def test_full_size_state_dict_keys_and_shapes(manifest, cls):
    spec = json.loads((COMPAT / manifest).read_text())
    net = cls(**spec["_meta"]["config"])
    shapes = {k: list(v.shape) for k, v in net.state_dict().items()}
    assert list(shapes) == list(spec["state_dict"])  # same keys, same registration order
    assert shapes == spec["state_dict"]
    assert sum(p.numel() for p in net.parameters()) == spec["_meta"]["n_params"]
    assert len(list(net.buffers())) == spec["_meta"]["n_buffers"]


@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (1, 4, 7, 9), (2, 3, 2, 6, 6)])
def test_max_pool2x_equals_torch_max_pool(shape):
    """The networks' strided max-pool gives max_pool2d's values, odd sizes and chunks included."""
    x = torch.randn(shape)
    flat = x.flatten(0, 1) if x.dim() == 5 else x
    pooled = max_pool2x(x)
    assert torch.equal(pooled.reshape(-1, *pooled.shape[-3:]), F.max_pool2d(flat, 2))
    trained = max_pool2x(x.clone().requires_grad_(True))  # the autograd path
    assert trained.shape == pooled.shape and torch.equal(trained.detach(), pooled)


@pytest.mark.parametrize("shape", [(2, 3, 8, 8), (1, 4, 1, 5), (2, 3, 2, 7, 6)])
def test_upsample2x_matches_interpolate_in_every_precision(shape):
    """fp32 is F.interpolate itself; bf16 (the interpolation matrices) rounds like bf16 does, on
    odd sizes, a one-pixel side and chunks alike."""
    x = torch.randn(shape)
    flat = x.flatten(0, 1) if x.dim() == 5 else x
    expected = F.interpolate(flat, scale_factor=2, mode="bilinear", align_corners=True)
    assert torch.equal(upsample2x(x).reshape(expected.shape), expected)
    in_bf16 = upsample2x(x.bfloat16()).float().reshape(expected.shape)
    assert torch.allclose(in_bf16, expected, atol=0.05, rtol=0.02)


def test_upsample2x_in_bf16_trains_after_inference():
    """The cached interpolation matrices, first made under inference mode, still let gradients
    through (an inference tensor would refuse backward)."""
    with torch.inference_mode():
        upsample2x(torch.randn(1, 1, 3, 3, dtype=torch.bfloat16))
    x = torch.randn(1, 1, 3, 3, dtype=torch.bfloat16, requires_grad=True)
    upsample2x(x).float().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
