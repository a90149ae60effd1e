"""Prompt encoding and the official wrapper's routing match the official code exactly."""

from __future__ import annotations

import pytest
import torch

from multiverseg_widget.model import Predictor, encode_prompts, rescale_prompts

from .conftest import load_golden


def cases(name):
    return [pytest.param(name, case, id=case) for case in load_golden(name)["cases"]]


@pytest.mark.parametrize(
    "name,case", cases("prepare_inputs_golden.pt") + cases("rescale_inputs_golden.pt")
)
def test_encode_prompts_matches_official(name, case):
    data = load_golden(name)["cases"][case]
    prompts = dict(data["prompts"])
    if data["rescale"]:
        img, coords, box, scribbles = rescale_prompts(
            prompts["img"],
            prompts.get("point_coords"),
            prompts.get("box"),
            prompts.get("scribbles"),
        )
        prompts.update(img=img, point_coords=coords, box=box, scribbles=scribbles)
    assert torch.equal(encode_prompts(**prompts), data["output"])


def test_official_wrapper_routing_and_outputs(pipeline_golden, small_nets):
    inputs = pipeline_golden["inputs"]
    prompt_args = [
        inputs[k] for k in ("point_coords", "point_labels", "box", "scribbles", "mask_input")
    ]
    for name, case in pipeline_golden["cases"].items():
        # fp32: the official outputs are compared to 1e-5
        predictor = Predictor(*small_nets, min_context=case["min_context"], precision="fp32")
        target = (
            encode_prompts(inputs["img"], *prompt_args)
            if case["prompts_given"]
            else encode_prompts(inputs["img"])
        )
        support = None
        if case["context_given"]:
            s = case["S"]
            support = torch.cat(
                [inputs["context_images"][0, :s], inputs["context_labels"][0, :s]], dim=1
            )
        logits, network = predictor.forward_encoded(target, support)
        out = logits if case["return_logits"] else torch.sigmoid(logits)
        assert network == case["network_used"], name
        torch.testing.assert_close(out, case["output"], atol=1e-5, rtol=0, msg=name)
