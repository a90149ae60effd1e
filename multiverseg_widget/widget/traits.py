"""What the kernel and the browser share: the widget's synced traits (the front end's ``Traits``
typedef in js/protocol.js), the display options the browser sets and the brush's range. The
widget's behaviour is ``SegmentWidget`` (widget.py), which sets them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..annotation.editing import DEFAULT_BRUSH

STATIC = Path(__file__).resolve().parent / "static"
COLOR = re.compile(r"#[0-9a-f]{6}")
# the traits the browser sets (the display options), kept in the work folder (Session.view)
DISPLAY_TRAITS = ("brush", "opacity", "overlay_mode", "colors")
MIN_BRUSH = 1  # pixels: the narrowest stroke the prompt vocabulary takes
# Pixels: the widest brush the slider and the [ ] keys reach. Strokes up to the vocabulary's
# MAX_BRUSH (256) are valid, but a slider of 256 steps is too coarse to pick a few pixels.
SLIDER_MAX_BRUSH = 64


class WidgetTraits(anywidget.AnyWidget):
    """The synced state of a SegmentWidget: the kernel sets all of it, the browser only the
    display options (``DISPLAY_TRAITS``)."""

    _esm = STATIC / "widget.js"
    _css = STATIC / "widget.css"

    image = traitlets.Dict(help="the current image, raw values (codec.encode_array)").tag(sync=True)
    mask = traitlets.Dict(help="the current mask, uint8 0/1 (codec.encode_array)").tag(sync=True)
    interactions: traitlets.List[Any] = traitlets.List(
        help="the current image's interaction log"
    ).tag(sync=True)
    log_version = traitlets.Int(
        0, help="changes whenever the log sent changes: an erase names positions in one version"
    ).tag(sync=True)
    index = traitlets.Int(0, help="the current image").tag(sync=True)
    name = traitlets.Unicode("", help="the current image's name").tag(sync=True)
    progress = traitlets.Dict(
        help="every image's status: uint8 indices into Session STATUSES (codec.encode_array)"
    ).tag(sync=True)
    gallery: traitlets.List[Any] = traitlets.List(
        help="the context set: index, name, thumbnail key"
    ).tag(sync=True)
    thumbnails = traitlets.Dict(
        help="the thumbnails asked for last: serial (one per answer), items (key, index, image, "
        "mask)"
    ).tag(sync=True)
    seconds = traitlets.Float(0.0, help="the last prediction's time").tag(sync=True)
    error = traitlets.Unicode("", help="why the last request failed, for the status line").tag(
        sync=True
    )
    notice = traitlets.Unicode(
        "", help="what the last request found out, e.g. why a suggestion: the notices' text"
    ).tag(sync=True)
    notices: traitlets.List[Any] = traitlets.List(
        help="the last request's notices as the browser acts on them: code, args (notices.py)"
    ).tag(sync=True)
    ack = traitlets.Int(0, help="id of the last request handled").tag(sync=True)
    opacity = traitlets.Float(0.5, min=0.0, max=1.0).tag(sync=True)
    overlay_mode = traitlets.Enum(("fill", "contour"), "fill").tag(sync=True)
    brush = traitlets.Int(
        int(DEFAULT_BRUSH), min=MIN_BRUSH, max=SLIDER_MAX_BRUSH, help="scribble width, pixels"
    ).tag(sync=True)
    structures = traitlets.List(traitlets.Unicode(), help="the structures' names").tag(sync=True)
    structure = traitlets.Unicode("", help="the structure being annotated").tag(sync=True)
    colors = traitlets.List(
        traitlets.Unicode(),
        help="structure k's colour (#rrggbb) is colors[k]; set by the browser's colour inputs",
    ).tag(sync=True)
    others: traitlets.List[Any] = traitlets.List(
        help="the other structures' accepted masks of the image: name, mask (uint8 0/1)"
    ).tag(sync=True)
    model_info = traitlets.Dict(help="the model's name, device and parameter count").tag(sync=True)
    confidence = traitlets.Dict(
        help="every image's confidence in the session's last propagation, float32, NaN where it "
        "has none; empty without a propagation (codec.encode_array)"
    ).tag(sync=True)
    prompts_per_accept = traitlets.List(
        traitlets.Int(),
        help="the prompts each image of the current context set took, in the order they joined "
        "(the in-context gain chart)",
    ).tag(sync=True)
    context_used = traitlets.List(
        traitlets.Int(),
        help="the context images the shown prediction used (Session.context_used); the gallery "
        "marks them, the status line counts them",
    ).tag(sync=True)
    context_note = traitlets.Unicode(
        "", help="how far the context set can be trusted (Session.context_note); '' if unknown"
    ).tag(sync=True)
    work = traitlets.Dict(
        help="the background work under way (session_work.py): what, done, total (0: not counted "
        "yet); {} if none"
    ).tag(sync=True)
    export_bar = traitlets.Dict(
        help="the export bar: folders (format -> default folder), question (exporting.py)"
    ).tag(sync=True)

    @traitlets.validate("colors")
    def _check_colors(self, proposal: Any) -> list[str]:
        colors = [c.lower() for c in proposal["value"]]
        bad = [c for c in colors if not COLOR.fullmatch(c)]
        if bad:
            raise traitlets.TraitError(f"structure colours are #rrggbb, got {bad[:3]}")
        return colors
