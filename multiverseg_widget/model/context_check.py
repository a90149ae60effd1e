"""The context set's check of itself: how well the network predicts the set's own items, each
from the others (leave one out), on the model grid; and what a prediction does with that.

Why: on some tasks the in-context prediction is good from the second image on; on others it
stays useless however many images join (0.02 Dice on a nerve ultrasound task), and there a
context-only first guess, the context itself and adapting to it all cost the user clicks
(the model card, issue 30). The set says which task it is: a network that cannot predict the
set's own items from the others will not predict the next image either.

The check is incremental and bounded, so its cost does not grow with the set: it looks at the
``CHECKED_ITEMS`` most recent items, and each new version of the set predicts at most
``REFRESHED_PER_SET`` of them again (new items first, then those checked longest ago); the
others keep the Dice of their last check.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from ..common.overlap import dice
from ..common.steps import StepProgress, Steps
from .context import PreparedContext, PreparedItem, most_similar
from .context_set_cache import SetKey, set_key
from .inputs import PreparedImage, encode_inputs
from .preprocessing import MODEL_SIZE

CHECKED_ITEMS = 8
REFRESHED_PER_SET = 3

ItemDice = Callable[[int], float]  # j -> the Dice of item j predicted from the other items


@dataclass(frozen=True)
class ContextEstimate:
    """How well a context set predicts its own items: ``dice`` is the mean leave-one-out Dice of
    the checked items (``item_dice``, in context order)."""

    dice: float
    item_dice: tuple[float, ...]

    @property
    def n_checked(self) -> int:
        return len(self.item_dice)

    def describe(self) -> str:
        """What an interface tells the user about trusting the context's first guess."""
        return (
            f"context predicts this task at about {self.dice:.2f} Dice "
            f"(leave-one-out over {self.n_checked} images)"
        )


@dataclass(frozen=True)
class ContextPolicy:
    """What a prediction does with a context set, from its estimate.

    trust_dice: below it, the context is not used at all: no first guess (an empty mask
    instead), and the prompts are answered as with no context. adapt_dice: from it, the network
    adapts to the set (where the Predictor adapts). A set too small to check itself (one item) is
    used, and not adapted to. The values are chosen by leaving one task family out (the model
    card, issue 30).
    """

    trust_dice: float = 0.3
    adapt_dice: float = 0.3

    def trusts(self, estimate: ContextEstimate | None) -> bool:
        return estimate is None or estimate.dice >= self.trust_dice

    def adapts(self, estimate: ContextEstimate | None) -> bool:
        return estimate is not None and estimate.dice >= self.adapt_dice

    def describe(self, estimate: ContextEstimate | None) -> str:
        """The estimate and what predictions do with it, for the user ("" without one)."""
        if estimate is None:
            return ""
        if not self.trusts(estimate):
            return f"{estimate.describe()}: not used, prompts are answered without it"
        return estimate.describe()


@dataclass(frozen=True)
class _Checked:
    dice: float
    order: int  # when it was checked: the lowest is refreshed first


class ContextCheck:
    """Leave-one-out Dice per context item, kept between versions of the set.

    Thread safe (propagation shares a Predictor between threads); it pickles empty, like the
    Predictor's other caches."""

    def __init__(self) -> None:
        self._current: SetKey = ()
        self._checked: dict[str, _Checked] = {}  # item key -> its last check
        self._checks = 0
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, object]:
        return {}

    def __setstate__(self, state: dict[str, object]) -> None:
        ContextCheck.__init__(self)

    def estimate(
        self,
        items: Sequence[PreparedItem],
        item_dice: ItemDice,
        refresh: bool = True,
    ) -> ContextEstimate | None:
        """The estimate for ``items`` (None with fewer than 2: nothing to predict one from).

        item_dice(j): the Dice of item j predicted from the other items, from the context alone.
        refresh: False predicts nothing: the estimate from the items' last Dice (None when none
        has one yet), for an interface that checks the set after it shows the image.
        """
        if len(items) < 2:
            return None
        window = self._window(items)
        with self._lock:
            if refresh and not self.is_current(items):
                plan = self._plan(items)
                self._keep(items, plan, {j: item_dice(j) for j in plan})
            known = [self._checked.get(items[j].key) for j in window]
            dice = tuple(c.dice for c in known if c)
        return ContextEstimate(sum(dice) / len(dice), dice) if dice else None

    def refresh_steps(self, items: Sequence[PreparedItem], item_dice: ItemDice) -> Steps[None]:
        """``estimate``'s refresh, one item predicted per step, for an interface that answers
        prompts between steps (the predictions run outside the lock: ``estimate(refresh=False)``
        reads the last estimate meanwhile)."""
        with self._lock:
            if self.is_current(items):
                return
            plan = self._plan(items)
        checked: dict[int, float] = {}
        for j in plan:
            checked[j] = item_dice(j)
            yield StepProgress("checking", len(checked), len(plan))
        with self._lock:
            self._keep(items, plan, checked)

    def is_current(self, items: Sequence[PreparedItem]) -> bool:
        """Whether ``items`` is the set checked last (its estimate costs nothing)."""
        return len(items) < 2 or self._current == set_key(items)

    def _plan(self, items: Sequence[PreparedItem]) -> list[int]:
        """The items a refresh predicts: the window's new items, then its longest-unchecked
        ones, REFRESHED_PER_SET in all (more only when more are new)."""
        window = self._window(items)
        new = [j for j in window if items[j].key not in self._checked]
        old = sorted(
            (j for j in window if items[j].key in self._checked),
            key=lambda j: self._checked[items[j].key].order,
        )
        return (new + old)[: max(REFRESHED_PER_SET, len(new))]

    def _keep(self, items: Sequence[PreparedItem], plan: list[int], dice: dict[int, float]) -> None:
        """Keep the new Dice of the planned items; forget the items that left the window."""
        keys = {items[j].key for j in self._window(items)}
        kept = {key: checked for key, checked in self._checked.items() if key in keys}
        for j in plan:
            self._checks += 1
            kept[items[j].key] = _Checked(dice[j], self._checks)
        self._checked, self._current = kept, set_key(items)

    @staticmethod
    def _window(items: Sequence[PreparedItem]) -> range:
        """The items checked: the CHECKED_ITEMS most recent."""
        return range(max(0, len(items) - CHECKED_ITEMS), len(items))


def left_out_dice(
    context: PreparedContext,
    j: int,
    cap: int | None,
    forward: Callable[[torch.Tensor, torch.Tensor | None], torch.Tensor],
) -> float:
    """Dice, on the model grid, of context item j predicted from the context alone without it.

    Args:
        context: the prepared set; j: the item left out; cap: at most this many of the others,
            the most similar (as a prediction picks them; None: all).
        forward: the network, (1 x 5 x 128 x 128 target, S x 2 x 128 x 128 support or None)
            -> 1 x 1 x 128 x 128 logits.
    """
    item = context.items[j]
    others = [i for i in range(len(context)) if i != j]
    small = item.image[None]
    picked = [
        others[k] for k in most_similar([context.items[i].descriptor for i in others], small, cap)
    ]
    support = None if context.support is None or not picked else context.support[picked]
    logits = forward(encode_inputs(PreparedImage(small, MODEL_SIZE)), support)
    return dice(logits[0, 0].float().cpu().numpy() > 0, item.label[0].numpy() > 0.5)
