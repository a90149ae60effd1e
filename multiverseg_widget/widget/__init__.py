"""The Jupyter widget: the kernel side of the anywidget (``widget.py``), the binary array form
it shares with the front end (``codec.py``) and the shipped front end (``static/``, the
committed bundle of ``js/``)."""

from .opening import annotate
from .widget import SegmentWidget

__all__ = ["SegmentWidget", "annotate"]
