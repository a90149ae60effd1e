"""Validation during training, on held-out training tasks and fixed synthetic tasks (never on
``shared/data/eval``): the quantities the model card promises, at 128 x 128.

- ``click1`` / ``click3``: Dice with no context after 1 and 3 center clicks;
- ``context``: Dice of the context-only prediction from 4 ground-truth context pairs;
- ``context_click1``: Dice after one corrective click on top of that.
``score`` is their mean, used to pick the best checkpoint. Beside it, not scored: after the
context-only prediction, one negative click at the deepest point of its largest false-positive
component: ``fp_removed``, the share of that component gone, and ``fp_outside``, the change of
Dice outside it (the evaluation's negative-click case, on the held-out data); and, instead, one
negative line scribble on background far from the structure and the prediction:
``stray_scribble``, the change of Dice it makes, and ``stray_harmed``, the share of episodes
where it lowers Dice by more than 0.02 (a person marking background that was already right; it
should change nothing, and must not punch holes in distant structures). Also beside it:
``forest``, the context-only Dice of the context guide's forest (``forest_guess.py``), and
``guided``, that of the network given the guide's logits as its first guess.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch

from ..common.overlap import dice
from ..evaluation.users import CenterClickUser
from ..model.context_adaptation import adapt_to_context
from ..model.multiverseg_net import MultiverSegNet
from .forest_guess import forest_guess
from .interactions import SimulatedAnnotation
from .real_tasks import RealTask
from .synthetic import synthetic_task

CONTEXT_SIZE = 4
SYNTHETIC_TASKS = 8
EPISODES_PER_TASK = 3
USER = CenterClickUser()
SCORED = ("click1", "click3", "context", "context_click1")
PROBES = ("fp_removed", "fp_outside", "stray_scribble", "stray_harmed", "forest", "guided")
HARMED = -0.02  # a stray scribble that lowers Dice by more than this harmed the episode


def validation_episodes(
    held: list[RealTask],
) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]]:
    """(image 1 x R x R, mask, support S x 2 x R x R or None) triples, the same every time."""
    gen = torch.Generator().manual_seed(12345)
    tasks = [(t.images, t.masks) for t in held]
    tasks += [synthetic_task(1 + CONTEXT_SIZE, 128, gen) for _ in range(SYNTHETIC_TASKS)]
    episodes = []
    for images, masks in tasks:
        for e in range(min(EPISODES_PER_TASK, len(images))):
            others = [i for i in range(len(images)) if i != e][:CONTEXT_SIZE]
            support = None
            if len(others) == CONTEXT_SIZE:
                support = torch.cat([images[others], masks[others]], dim=1)
            episodes.append((images[e], masks[e], support))
    return episodes


@torch.no_grad()
def validate(
    net: MultiverSegNet,
    held: list[RealTask],
    device: str | torch.device,
    guided: bool = False,
    adapted: bool = False,
) -> dict[str, float]:
    """``guided``: every context episode starts from the context guide's logits, as a
    Predictor with ``context_guide`` does (``context`` is then ``guided``); ``adapted``: every
    context episode uses the network adapted to its context set, as a Predictor with
    ``adapt_to_context`` does (minutes more on a CPU)."""
    net.eval()
    scores: dict[str, list[float]] = {name: [] for name in SCORED + PROBES}
    for image, mask, support in validation_episodes(held):
        gt = mask[0].numpy() > 0.5
        rng = np.random.default_rng(0)
        sim = SimulatedAnnotation(gt, rng, prompt_first=True, user=USER)
        for clicks, logits in enumerate(_rounds(net, sim, image, None, 3, device), start=1):
            if clicks in (1, 3):
                scores[f"click{clicks}"].append(dice(logits > 0, gt))
        if support is not None:
            in_context = adapt_to_context(net, support.to(device)) if adapted else net
            guess = forest_guess(image, support)
            sim = SimulatedAnnotation(gt, rng, prompt_first=False)
            rounds = _rounds(in_context, sim, image, support, 2, device, guess if guided else None)
            context_only = next(rounds)
            scores["context"].append(dice(context_only > 0, gt))
            scores["context_click1"].append(dice(next(rounds) > 0, gt))
            # two probes of the same context-only prediction (not predicted again)
            case = _NegativeCase(in_context, image, support, gt, context_only, device)
            probes = case.false_positive_click(rng) | case.stray_scribble(rng)
            for name, value in probes.items():
                scores[name].append(value)
            scores["forest"].append(dice(guess[0].numpy() > 0, gt))
            if guided:  # the context-only prediction above already started from the guess
                from_guess = context_only
            else:
                sim = SimulatedAnnotation(gt, rng, prompt_first=False)
                from_guess = next(_rounds(in_context, sim, image, support, 1, device, guess))
            scores["guided"].append(dice(from_guess > 0, gt))
    metrics = {k: float(np.mean(v)) if v else float("nan") for k, v in scores.items()}
    metrics["score"] = float(np.mean([metrics[k] for k in SCORED]))
    return metrics


def _rounds(
    net: MultiverSegNet,
    sim: SimulatedAnnotation,
    image: torch.Tensor,
    support: torch.Tensor | None,
    n: int,
    device: str | torch.device,
    prev: torch.Tensor | None = None,
) -> Iterator[np.ndarray]:
    """Yield the prediction (R x R numpy logits) after each of n rounds of the simulated user,
    the first fed ``prev`` (1 x R x R logits) as its previous prediction."""
    for _ in range(n):
        x = sim.encode(image, prev)[None].to(device)
        logits = net(x) if support is None else net.forward_support(x, support[None].to(device))
        prev = logits[0].cpu()
        pred = prev[0].numpy()
        yield pred
        sim.correct(pred > 0)


class _NegativeCase:
    """One context-only prediction and the negative prompts a person might add to it."""

    def __init__(
        self,
        net: MultiverSegNet,
        image: torch.Tensor,
        support: torch.Tensor,
        gt: np.ndarray,
        context_only: np.ndarray,
        device: str | torch.device,
    ) -> None:
        self.net, self.image, self.support, self.device = net, image, support, device
        self.gt, self.logits, self.before = gt, context_only, context_only > 0

    def _predict(self, sim: SimulatedAnnotation) -> np.ndarray:
        prev = torch.from_numpy(self.logits)[None]
        return next(_rounds(self.net, sim, self.image, self.support, 1, self.device, prev)) > 0

    def false_positive_click(self, rng: np.random.Generator) -> dict[str, float]:
        """A negative click at the deepest point of the largest false-positive component."""
        sim = SimulatedAnnotation(self.gt, rng, prompt_first=False, false_positive_clicks=1.0)
        sim.correct(self.before)
        if not sim.removed:
            return {}
        after = self._predict(sim)
        component, out = sim.removed[0], ~sim.removed[0]
        gt, before = self.gt, self.before
        return {
            "fp_removed": float(1 - (after & component).sum() / component.sum()),
            "fp_outside": dice(after & out, gt & out) - dice(before & out, gt & out),
        }

    def stray_scribble(self, rng: np.random.Generator) -> dict[str, float]:
        """A negative line scribble on background far from the structure and the prediction."""
        sim = SimulatedAnnotation(self.gt, rng, prompt_first=False)
        if not sim.add_stray_scribble(self.before):
            return {}
        change = dice(self._predict(sim), self.gt) - dice(self.before, self.gt)
        return {"stray_scribble": change, "stray_harmed": float(change < HARMED)}
