"""Adaptation to a context set: a copy of the network fine-tuned for a few steps on the context
set itself, each context item predicted from the others (leave one out).

Why: one in-context pass reads only so much of what marks a task's structure from the context;
the built-in network's context-only prediction is weaker than a pixel classifier trained on the
same context (``context_guide.py``). Learning from the context's own images and masks closes
part of that gap, and the clicks that follow build on the adapted network too. It costs a few
seconds once per context set (``Predictor`` keeps the adapted copy while the set is unchanged).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import torch

from ..common.steps import StepProgress, Steps, finished
from .context import PreparedItem
from .context_set_cache import ContextSetCache
from .encoding import encode_prompts
from .multiverseg_net import MultiverSegNet
from .segmentation_loss import segmentation_loss


class AdaptationSettings(TypedDict):
    steps: int  # Adam steps from the network as it is
    warm_steps: int  # Adam steps from the copy adapted to the set before items were added
    most_steps: int  # a copy learns at most this many in all; past it, a start from scratch
    lr: float
    episodes_per_step: int  # context items predicted per step
    max_others: int  # context items each is predicted from


# Chosen on held-out training data (4 context images): see the model card.
ADAPTATION_SETTINGS: AdaptationSettings = {
    "steps": 10, "warm_steps": 3, "most_steps": 16, "lr": 3e-4, "episodes_per_step": 4,
    "max_others": 4,
}  # fmt: skip


@dataclass(frozen=True)
class AdaptedCopy:
    """A network adapted to a context set and its optimiser's state. A warm start goes on with
    the same optimisation (Adam's moments) instead of restarting it: a fresh Adam's first steps
    move every weight by about the learning rate whatever its gradient, which a chain of warm
    starts would add up to a drift away from what the network knew."""

    network: MultiverSegNet
    optimizer_state: dict[str, Any]

    @property
    def steps_learnt(self) -> int:
        """The Adam steps this copy learnt since the network as it is, warm starts included."""
        states = self.optimizer_state["state"]
        return int(next(iter(states.values()))["step"]) if states else 0


def adapt_to_context(net: MultiverSegNet, support: torch.Tensor, seed: int = 0) -> MultiverSegNet:
    """A copy of ``net`` fine-tuned on ``support`` (``adaptation_steps``, run now)."""
    return finished(adaptation_steps(net, support, seed)).network


def adaptation_steps(
    net: MultiverSegNet,
    support: torch.Tensor,
    seed: int = 0,
    steps: int | None = None,
    first_targets: Sequence[int] = (),
    optimizer_state: dict[str, Any] | None = None,
) -> Steps[AdaptedCopy]:
    """Fine-tune a copy of ``net`` on ``support``, one episode per step.

    Each Adam step predicts a few context items from the context alone, each from up to
    ``max_others`` of the other items (``leave_one_out_episodes``), and follows the segmentation
    loss. The cost is bounded whatever the context size: ``steps`` x ``episodes_per_step``
    episodes of at most 1 + ``max_others`` items. The episodes' gradients add up one episode
    at a time (the network has no batch statistics, so this is the batch's gradient), which
    keeps each step short for an interface that answers prompts between steps. ``net`` is
    unchanged; the same inputs give the same copy.

    Args:
        net: the network to adapt.
        support: S x 2 x h x w (image, mask) pairs on the model grid, S >= 2.
        seed: the episodes' random draws.
        steps: Adam steps (None: ``ADAPTATION_SETTINGS["steps"]``).
        first_targets: indices into ``support`` predicted first in every step (the items
            added since ``net`` was adapted, when it is a warm start).
        optimizer_state: the state of the optimiser that adapted ``net`` (a warm start goes
            on with it; None starts a new one).
    Returns:
        Steps whose result is the adapted copy (in eval mode) and its optimiser's state.
    """
    if support.dim() != 4 or support.shape[1] != 2 or support.shape[-1] != support.shape[-2]:
        raise ValueError(f"support must be S x 2 x h x h, got {tuple(support.shape)}")
    if support.shape[0] < 2:
        raise ValueError("adapting to a context set needs at least 2 context items")
    settings = ADAPTATION_SETTINGS
    gen = torch.Generator().manual_seed(seed)
    with torch.inference_mode(False):  # a copy made in inference mode could not learn
        adapted = copy.deepcopy(net).float().train()
        support = support.detach().clone().float()
    parameters = list(adapted.parameters())
    for p in parameters:
        p.requires_grad_(True)
    optimizer = torch.optim.Adam(parameters, lr=settings["lr"])
    if optimizer_state is not None:
        with torch.inference_mode(False):  # the cached state stays as it is
            optimizer.load_state_dict(copy.deepcopy(optimizer_state))
    steps = settings["steps"] if steps is None else steps
    total = steps * min(settings["episodes_per_step"], support.shape[0])
    done = 0
    for _ in range(steps):
        targets, contexts = leave_one_out_episodes(
            support, settings["episodes_per_step"], settings["max_others"], gen, first_targets
        )
        optimizer.zero_grad(set_to_none=True)
        for e in range(len(targets)):
            # grad mode is the thread's: set per episode, never held across a yield
            with torch.inference_mode(False), torch.enable_grad():
                logits = adapted.forward_support(
                    encode_prompts(targets[e : e + 1, :1]), contexts[e : e + 1]
                )
                loss = segmentation_loss(logits, targets[e : e + 1, 1:]) / len(targets)
                loss.backward()
                if e == len(targets) - 1:
                    optimizer.step()
            done += 1
            yield StepProgress("adapting", done, total)
    for p in parameters:
        p.requires_grad_(False)
    return AdaptedCopy(adapted.eval(), optimizer.state_dict())


def leave_one_out_episodes(
    support: torch.Tensor,
    count: int,
    max_others: int,
    gen: torch.Generator,
    first_targets: Sequence[int] = (),
) -> tuple[torch.Tensor, torch.Tensor]:
    """(targets E x 2 x h x w, contexts E x O x 2 x h x w): up to ``count`` distinct context
    items (``first_targets`` first, then drawn at random), each with up to ``max_others`` of
    the other items as its context, every episode turned by its own random rotation by a
    multiple of 90 degrees and flip."""
    n = support.shape[0]
    others = min(n - 1, max_others)
    first = list(dict.fromkeys(first_targets))[:count]
    drawn = [i for i in torch.randperm(n, generator=gen).tolist() if i not in first]
    targets, contexts = [], []
    for target in [*first, *drawn][: min(count, n)]:
        rest = [i for i in range(n) if i != target]
        chosen = [rest[i] for i in torch.randperm(len(rest), generator=gen)[:others].tolist()]
        episode = torch.rot90(
            support[[target, *chosen]], int(torch.randint(4, (1,), generator=gen)), dims=(-2, -1)
        )
        if torch.randint(2, (1,), generator=gen):
            episode = episode.flip(-1)
        targets.append(episode[0])
        contexts.append(episode[1:])
    return torch.stack(targets), torch.stack(contexts)


class AdaptedNetworks:
    """The network adapted to each of the last few context sets (``CACHED_SETS``), kept by
    the content of their items (``context_set_cache.py``): the clicks and propagation that
    follow an adaptation reuse it while the set is unchanged.

    A set that grew from one adapted to before (every item of the old set still in it, and
    at least half of the new set old) starts from that copy and its optimiser's state
    (``AdaptedCopy``) and learns ``warm_steps`` steps, the added items predicted in each:
    adding an image costs a fraction of an adaptation from the network as it is, and the copy
    keeps what it learnt from the items before. A copy learns at most ``most_steps`` steps in
    all; the next set starts from scratch: adaptation learns from the context alone, and a long
    chain of warm starts unlearnt the use of clicks (on BBBC039 through a Session, each click
    lowered the Dice after 12 accepts, and the simulated user never reached 90%). A set that
    lost or changed an item starts from the network as it is (a removed mask leaves no trace).
    """

    def __init__(self, network: MultiverSegNet) -> None:
        self.network = network
        self._built: ContextSetCache[AdaptedCopy] = ContextSetCache()

    def __len__(self) -> int:
        return len(self._built)

    def ready(self, items: Sequence[PreparedItem]) -> MultiverSegNet | None:
        """The network adapted to ``items`` if it is built, else None (building nothing)."""
        found = self._built.find(items)
        return None if found is None else found.network

    def built(self, items: Sequence[PreparedItem], support: torch.Tensor) -> MultiverSegNet:
        """The network adapted to ``items`` (their stacked ``support``): built now if needed."""
        return self._built.get(items, lambda: finished(self._adapting(items, support))).network

    def build_steps(self, items: Sequence[PreparedItem], support: torch.Tensor) -> Steps[None]:
        """``built``, step by step (nothing when it is built already); the network joins the
        cache after the last step, so that a build dropped half way leaves nothing behind."""
        if self._built.find(items) is None:
            self._built.put(items, (yield from self._adapting(items, support)))

    def _adapting(
        self, items: Sequence[PreparedItem], support: torch.Tensor
    ) -> Steps[AdaptedCopy]:
        """The adaptation's steps: warm from the copy of a set this one grew from, else cold."""
        keys = [item.key for item in items]
        settings = ADAPTATION_SETTINGS
        room = settings["most_steps"] - settings["warm_steps"]
        grown_from = self._built.closest(
            items, lambda old, copy: copy.steps_learnt <= room and _grew_from(old, keys)
        )
        if grown_from is None:
            return adaptation_steps(self.network, support, seed=len(items))
        old_keys, start = grown_from
        added = [i for i, key in enumerate(keys) if key not in set(old_keys)]
        return adaptation_steps(
            start.network, support, len(items), settings["warm_steps"], added, start.optimizer_state
        )


def _grew_from(old_keys: Sequence[str], new_keys: Sequence[str]) -> bool:
    """Whether a set of ``new_keys`` grew from one of ``old_keys`` by additions only, with at
    least half of it old (many items added at once learn from the network as it is)."""
    old = set(old_keys)
    return old <= set(new_keys) and 2 * len(old) >= len(new_keys) and len(old) >= 2
