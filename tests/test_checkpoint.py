"""Checkpoint loading: official files as published, our own format, and every failure mode."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import torch

import multiverseg_widget as mvw
from multiverseg_widget.model import CheckpointError, MultiverSegNet, save_checkpoint
from multiverseg_widget.model import load as load_module


@pytest.fixture()
def official_files(tmp_path, pipeline_golden):
    """Files laid out like the official releases, with the small golden weights."""
    mvs = tmp_path / "MultiverSeg_small.pt"
    sp = tmp_path / "ScribblePrompt_small.pt"
    torch.save({"model": pipeline_golden["mvs_state_dict"]}, mvs)
    torch.save(pipeline_golden["sp_state_dict"], sp)
    return mvs, sp


def test_official_files_load_and_route(official_files, labelled_task):
    mvs, sp = official_files
    model = mvw.load_model(mvs, scribbleprompt=sp)
    image = labelled_task["images"][0]
    assert model.predict(image, clicks=[(100, 100, True)]).network == "scribbleprompt"
    context = [(labelled_task["images"][1], labelled_task["masks"][1])]
    assert model.predict(image, context=context).network == "multiverseg"
    assert model.guides is None and mvw.load_model().guides is None  # the guide is opt-in
    assert mvw.load_model(mvs, context_guide=True).guides is not None


def test_official_multiverseg_alone_uses_dummy_support(official_files, labelled_task):
    model = mvw.load_model(official_files[0])
    pred = model.predict(labelled_task["images"][0], clicks=[(100, 100, True)])
    assert pred.network == "multiverseg"


def test_full_size_official_layout_loads(tmp_path):
    config = {
        "in_channels": [5, 2],
        "encoder_blocks": [256] * 4,
        "block_kws": {"conv_kws": {"norm": "layer"}},
        "cross_relu": True,
    }
    path = tmp_path / "MultiverSeg_v1_nf256_res128.pt"
    torch.save({"model": MultiverSegNet(**config).state_dict()}, path)
    model = mvw.load_model(path)
    assert model.multiverseg.config["encoder_blocks"] == [256] * 4
    assert sum(p.numel() for p in model.parameters()) == 18_903_297


def test_own_format_round_trip(tmp_path, small_nets, labelled_task):
    mvs, sp = small_nets
    path = save_checkpoint(
        tmp_path / "mine.pt", mvs, {"note": "test"}, scribbleprompt=sp, min_context=2
    )
    model = mvw.load_model(path)
    assert model.metadata["note"] == "test" and model.min_context == 2
    reference = mvw.Predictor(mvs, sp, min_context=2)
    image = labelled_task["images"][0]
    np.testing.assert_array_equal(
        model.predict(image, clicks=[(50, 60, True)]).logits,
        reference.predict(image, clicks=[(50, 60, True)]).logits,
    )


def test_missing_file_says_so(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found"):
        mvw.load_model(tmp_path / "nope.pt")


def test_default_weights_missing_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(load_module, "DEFAULT_CHECKPOINT", tmp_path / "default.pt")
    with pytest.raises(FileNotFoundError, match="built-in default weights are missing"):
        mvw.load_model()


def test_not_a_torch_file(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("these are not weights")
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint"):
        mvw.load_model(path)


class PickledObject:
    """Stands for a checkpoint that pickled a whole Python object instead of tensors."""


def test_file_needing_pickled_code_is_refused(tmp_path):
    path = tmp_path / "pickled.pt"
    torch.save({"model": PickledObject()}, path)
    with pytest.raises(CheckpointError, match="pickled Python code"):
        mvw.load_model(path)


def test_missing_and_unexpected_keys_are_listed(tmp_path, pipeline_golden):
    sd = dict(pipeline_golden["mvs_state_dict"])
    del sd["out_conv.conv.bias"]
    sd["extra.weight"] = torch.zeros(1)
    path = tmp_path / "broken.pt"
    torch.save({"model": sd}, path)
    with pytest.raises(CheckpointError) as err:
        mvw.load_model(path)
    assert "missing keys: out_conv.conv.bias" in str(err.value)
    assert "unexpected keys: extra.weight" in str(err.value)


def test_wrong_shapes_are_named(tmp_path, pipeline_golden):
    sd = dict(pipeline_golden["mvs_state_dict"])
    sd["enc_blocks.1.target.vmapped.conv.weight"] = torch.zeros(8, 8, 5, 5)
    path = tmp_path / "shapes.pt"
    torch.save({"model": sd}, path)
    with pytest.raises(
        CheckpointError, match=r"enc_blocks\.1\.target\.vmapped\.conv\.weight: file"
    ):
        mvw.load_model(path)


def test_swapped_files_are_explained(official_files):
    mvs, sp = official_files
    with pytest.raises(CheckpointError, match="ScribblePrompt UNet file"):
        mvw.load_model(sp)
    with pytest.raises(CheckpointError, match="is a MultiverSeg checkpoint"):
        mvw.load_model(mvs, scribbleprompt=mvs)


def test_scribbleprompt_file_with_wrong_keys(tmp_path, official_files, pipeline_golden):
    sd = dict(pipeline_golden["sp_state_dict"])
    del sd["bottleneck.conv.1.weight"]
    bad = tmp_path / "sp_bad.pt"
    torch.save(sd, bad)
    with pytest.raises(CheckpointError, match="missing keys: bottleneck.conv.1.weight"):
        mvw.load_model(official_files[0], scribbleprompt=bad)


@pytest.mark.parametrize(
    "page", ["<!DOCTYPE html>\n<html><body>Sign in</body></html>", "\n  <html><head></head></html>"]
)
def test_an_html_page_is_called_one(tmp_path, page):
    path = tmp_path / "MultiverSeg_v1.pt"
    path.write_text(page)
    with pytest.raises(CheckpointError, match="looks like an HTML page: a download") as err:
        mvw.load_model(path)
    assert "pickled" not in str(err.value)


def test_random_bytes_are_not_a_pytorch_file(tmp_path):
    path = tmp_path / "noise.pt"
    path.write_bytes(b"\x01" + np.random.default_rng(0).bytes(4095))
    with pytest.raises(CheckpointError, match="not a PyTorch checkpoint: it starts with") as err:
        mvw.load_model(path)
    assert "pickled" not in str(err.value)


def test_a_truncated_checkpoint_says_so(tmp_path, small_nets):
    whole = save_checkpoint(tmp_path / "whole.pt", small_nets[0]).read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CheckpointError, match="cut.pt is truncated or damaged"):
        mvw.load_model(path)


def test_a_flipped_byte_is_found_by_the_archive_checksums(tmp_path, small_nets):
    data = bytearray(save_checkpoint(tmp_path / "whole.pt", small_nets[0]).read_bytes())
    data[len(data) // 2] ^= 0x10  # inside a tensor's bytes: torch.load alone accepts it
    path = tmp_path / "flipped.pt"
    path.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="flipped.pt is damaged: its part .* checksum"):
        mvw.load_model(path)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused_by_name(tmp_path, pipeline_golden, bad):
    sd = dict(pipeline_golden["mvs_state_dict"])
    sd["out_conv.conv.weight"] = sd["out_conv.conv.weight"].clone()
    sd["out_conv.conv.weight"].view(-1)[3] = bad
    path = tmp_path / "diverged.pt"
    torch.save({"model": sd}, path)
    with pytest.raises(CheckpointError, match="'out_conv.conv.weight' hold NaN or infinite"):
        mvw.load_model(path)


def test_the_shipped_weights_match_their_shipped_checksum():
    recorded = (load_module.DEFAULT_CHECKPOINT.parent / "default.pt.sha256").read_text().split()
    digest = hashlib.sha256(load_module.DEFAULT_CHECKPOINT.read_bytes()).hexdigest()
    assert recorded == [digest, "default.pt"]  # `sha256sum -c default.pt.sha256` reads it
    load_module.verify_built_in(load_module.DEFAULT_CHECKPOINT)


def test_damaged_built_in_weights_are_refused_with_how_to_reinstall(tmp_path, monkeypatch):
    shipped = load_module.DEFAULT_CHECKPOINT
    (tmp_path / "default.pt.sha256").write_bytes(
        shipped.with_name("default.pt.sha256").read_bytes()
    )
    data = bytearray(shipped.read_bytes())
    data[len(data) // 3] ^= 0x01
    (tmp_path / "default.pt").write_bytes(bytes(data))
    monkeypatch.setattr(load_module, "DEFAULT_CHECKPOINT", tmp_path / "default.pt")
    with pytest.raises(CheckpointError, match="built-in weights .* are damaged.*reinstall"):
        mvw.load_model()
    with pytest.raises(CheckpointError, match="are damaged"):
        mvw.load_model(tmp_path / "default.pt")  # by its path: the same file, the same check
    (tmp_path / "default.pt.sha256").unlink()
    with pytest.raises(CheckpointError, match="checksum file .* is missing"):
        mvw.load_model("default")
