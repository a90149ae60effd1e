"""The context set: which accepted images the network sees as examples, in the order they
joined, with a version that changes whenever the set does (what predictors and cached
propagations key on, instead of hashing pixels)."""

from __future__ import annotations

from .checks import checked_index


class ContextSet:
    def __init__(self, members: list[int] | None = None) -> None:
        members = list(members or [])
        if len(set(members)) != len(members):
            raise ValueError(f"the context set repeats an image: {members}")
        self._members = members
        self.version = 0

    @property
    def members(self) -> list[int]:
        """The images in the set, in the order they joined (a copy)."""
        return list(self._members)

    def __len__(self) -> int:
        return len(self._members)

    def __contains__(self, i: object) -> bool:
        return i in self._members

    def with_image(self, i: int) -> list[int]:
        """The members once image i has joined (at the end; unchanged if already in)."""
        return self._members + ([] if i in self._members else [i])

    def without_entry(self, k: int) -> list[int]:
        """The members once entry k (a position in ``members``) has left."""
        k = checked_index(k, len(self._members), "context entry")
        return self._members[:k] + self._members[k + 1 :]

    def set(self, members: list[int]) -> None:
        """Adopt ``members`` (after the caller has committed them to disk). The version changes
        even when the members do not: a re-accepted image is in the set with a new mask."""
        if len(set(members)) != len(members):
            raise ValueError(f"the context set repeats an image: {members}")
        self._members = list(members)
        self.version += 1
