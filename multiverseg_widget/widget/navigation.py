"""Which image the jump box names: an image's name, else its number as the status line counts
(from 1). The name -> index table is built once, at the first jump, and kept: a dataset's names
never change, and a look-up must not scan 100,000 of them."""

from __future__ import annotations

from collections.abc import Sequence

from .fields import short


class ImageLookup:
    """Image names and numbers -> indices, for one dataset's ``names``."""

    def __init__(self, names: Sequence[str]) -> None:
        self._names = names
        self._index: dict[str, int] | None = None

    def __call__(self, text: str) -> int:
        """The index of the image named ``text`` (exactly), else numbered ``text`` (an optional
        "#" first); ValueError that says how to name one when neither fits."""
        if self._index is None:
            self._index = {name: i for i, name in enumerate(self._names)}  # names are unique
        found = self._index.get(text)
        if found is not None:
            return found
        count = len(self._names)
        number = text.removeprefix("#")
        if number.isascii() and number.isdigit():
            if not 1 <= int(number) <= count:
                raise ValueError(f"there is no image {int(number)}: the images are 1 to {count}")
            return int(number) - 1
        raise ValueError(
            f"no image is named {short(text)}: type an image's name or a number from 1 to {count}"
        )
