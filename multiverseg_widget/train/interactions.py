"""Simulated users inside the training loop, as in ScribblePrompt's training: a random first
interaction (clicks, a box or scribbles, or none when there is context), then corrective rounds
from the error region of the network's own prediction, with its logits fed back.
"""

from __future__ import annotations

import numpy as np
import torch

from ..evaluation.geometry import deepest_point, largest_component, stray_stroke
from ..evaluation.users import (
    BoxUser,
    CenterClickUser,
    RandomClickUser,
    ScribbleUser,
    User,
    scribbles,
)
from ..model.encoding import encode_prompts
from ..prompts import Click, Prompts, scribble_masks

FIRST_USERS: list[tuple[float, User]] = [
    (0.35, CenterClickUser()),
    (0.15, RandomClickUser()),
    (0.20, BoxUser(jitter=0.05)),
    (0.15, ScribbleUser("centerline")),
    (0.075, ScribbleUser("line")),
    (0.075, ScribbleUser("contour")),
]
CORRECTING_USER = CenterClickUser()


class SimulatedAnnotation:
    """One training sample's annotation: its user, the prompts so far, and their encoding."""

    def __init__(
        self,
        gt: np.ndarray,
        rng: np.random.Generator,
        prompt_first: bool,
        user: User | None = None,
        false_positive_clicks: float = 0.0,
        stray_scribbles: float = 0.0,
    ) -> None:
        """``user`` None: drawn from FIRST_USERS; ``prompt_first`` False: start from context only
        and correct with center clicks; ``false_positive_clicks``: the chance that a correction
        is a negative click on the prediction's largest false-positive component instead;
        ``stray_scribbles``: the chance that it is a stray negative scribble instead."""
        self.gt = gt
        self.rng = rng
        self.false_positive_clicks = false_positive_clicks
        self.stray_scribbles = stray_scribbles
        self.removed: list[np.ndarray] = []  # the false-positive components clicked so far
        self.prompts = Prompts()
        if user is None:
            weights = np.array([w for w, _ in FIRST_USERS])
            user = FIRST_USERS[rng.choice(len(FIRST_USERS), p=weights / weights.sum())][1]
        self.user = user if prompt_first else CORRECTING_USER
        if prompt_first:
            self.prompts += self.user.first(gt, rng)

    def correct(self, pred_mask: np.ndarray) -> None:
        """Add the user's correction of ``pred_mask`` (nothing when the prediction is perfect),
        or, by chance, a negative click at the deepest point of its largest false-positive
        component: what a user does to a context-only prediction that took too much."""
        if self.false_positive_clicks and self.rng.random() < self.false_positive_clicks:
            component = largest_component(pred_mask & ~self.gt)
            if component.any():
                x, y = deepest_point(component)
                self.prompts += Prompts((Click(x, y, False),))
                self.removed.append(component)
                return
        stray = self.stray_scribbles and self.rng.random() < self.stray_scribbles
        if stray and self.add_stray_scribble(pred_mask):
            return
        correction = self.user.correct(self.gt, pred_mask, self.rng)
        if correction is not None:
            self.prompts += correction

    def add_stray_scribble(self, pred_mask: np.ndarray) -> bool:
        """A negative line scribble on background far from the structure and ``pred_mask``: a
        person marking background that was already right. The answer should not change; people
        saw such scribbles punch holes in distant structures. False when there is no room."""
        stroke = stray_stroke(self.gt, pred_mask, self.rng)
        if not stroke.any():
            return False
        self.prompts += scribbles(None, stroke)
        return True

    def clicked(self) -> list[tuple[int, int]]:
        return [(int(c.x), int(c.y)) for c in self.prompts.clicks]

    def encode(self, image: torch.Tensor, prev_logits: torch.Tensor | None) -> torch.Tensor:
        """1 x H x W image (+ 1 x H x W previous logits) -> 5 x H x W network input."""
        coords = labels = box = scribbles = None
        clicks, masks = self.prompts.clicks, scribble_masks(self.prompts, self.gt.shape)
        if clicks:
            coords = torch.tensor([[(c.x, c.y) for c in clicks]])
            labels = torch.tensor([[int(c.positive) for c in clicks]])
        if self.prompts.box is not None:
            box = torch.tensor([[self.prompts.box.corners]])
        if masks is not None:
            channels = [np.zeros(self.gt.shape) if m is None else m for m in masks]
            scribbles = torch.from_numpy(np.stack(channels).astype(np.float32))[None]
        prev = None if prev_logits is None else prev_logits[None]
        return encode_prompts(image[None], coords, labels, box, scribbles, prev)[0]
