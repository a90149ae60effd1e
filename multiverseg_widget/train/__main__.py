"""``python -m multiverseg_widget.train``: the same as ``multiverseg-widget train``."""

from .cli import main

main()
