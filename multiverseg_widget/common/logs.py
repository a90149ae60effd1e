"""The package's log. Library code does not print: what a user should see (a session continued
from its work folder, say) is logged at INFO under the ``multiverseg_widget`` logger. So that a
notebook shows it without any setup, that logger writes its own records to the current stderr
(a notebook cell's, a test's capture) unless the application configures it: give it a handler
or a level of its own (``logging.getLogger("multiverseg_widget").setLevel(logging.WARNING)``
silences it), or set ``propagate`` back to True to route it through the root logger."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

PACKAGE_LOGGER = "multiverseg_widget"


class _CurrentStderr(logging.StreamHandler[TextIO]):
    """Writes to ``sys.stderr`` as it is when a record comes, not as it was at import."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _stream: TextIO) -> None:
        """The stream is always the current stderr."""


def package_logger(name: str) -> logging.Logger:
    """The logger of module ``name`` (under ``multiverseg_widget``), the package's default
    handler set up on first use (see the module docstring)."""
    root = logging.getLogger(PACKAGE_LOGGER)
    if not root.handlers:
        handler = _CurrentStderr()
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        root.propagate = False
    return logging.getLogger(name)
