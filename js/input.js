// @ts-check
// Input: pointer, wheel and key events on the canvas -> actions for the kernel, commands, and the
// view's own changes (zoom, pan, the drag in progress).

import { commandForKey } from "./shortcuts.js";
import { erasedPositions, smoothStroke } from "./strokes.js";
import { boxFromDrag, clamp, panBy, screenToImage, screenToPixel, zoomAt } from "./view.js";

/** @import { Model, Point, Queued } from "./protocol.js" */
/** @import { Command } from "./shortcuts.js" */
/** @import { ShownImage, ViewState } from "./state.js" */
/** @import { ScreenPoint } from "./view.js" */

/**
 * Listen to the canvas and the widget's root (the listeners go with the elements).
 * @param {{
 *   canvas: HTMLCanvasElement,
 *   root: HTMLElement,
 *   model: Model,
 *   state: ViewState,
 *   send: (action: Queued) => void,
 *   command: (command: Command) => void,
 *   redraw: () => void,
 * }} parts
 */
export function listen({ canvas, root, model, state: s, send, command, redraw }) {
  /** @param {MouseEvent} e */
  function local(e) {
    const r = canvas.getBoundingClientRect();
    return { sx: e.clientX - r.left, sy: e.clientY - r.top };
  }

  /**
   * The image pixel under a screen point, clamped to the image.
   * @param {ShownImage} image
   * @param {ScreenPoint} p
   * @returns {Point}
   */
  function pixel(image, p) {
    const { u, v } = screenToImage(s.view, p.sx, p.sy);
    return [clamp(u - 0.5, 0, image.w - 1), clamp(v - 0.5, 0, image.h - 1)];
  }

  /** @param {PointerEvent} e */
  function onPointerDown(e) {
    canvas.focus();
    const image = s.image;
    if (!image) return;
    const p = local(e);
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    if (e.button === 1 || (e.button === 0 && s.space)) {
      s.drag = { kind: "pan", last: p };
      return;
    }
    if (e.button !== 0 && e.button !== 2) return;
    const positive = s.positive !== (e.button === 2 || e.shiftKey);
    if (s.tool === "click") {
      const px = screenToPixel(s.view, p.sx, p.sy, image.w, image.h);
      if (px) send({ kind: "click", x: px.x, y: px.y, positive });
    } else if (s.tool === "box") {
      s.drag = { kind: "box", a: p, b: p };
    } else {
      s.drag = { kind: s.tool === "eraser" ? "erase" : "scribble", positive, points: [pixel(image, p)] };
    }
  }

  /** @param {PointerEvent} e */
  function onPointerMove(e) {
    const d = s.drag;
    if (!d || !s.image) return;
    const p = local(e);
    if (d.kind === "pan") {
      s.view = panBy(s.view, p.sx - d.last.sx, p.sy - d.last.sy);
      s.userView = true;
      d.last = p;
    } else if (d.kind === "box") {
      d.b = p;
    } else {
      d.points.push(pixel(s.image, p));
    }
    redraw();
  }

  function onPointerUp() {
    const d = s.drag;
    s.drag = null;
    if (!d || !s.image) return;
    if (d.kind === "box") {
      const box = boxFromDrag(s.view, d.a, d.b, s.image.w, s.image.h);
      if (box) send({ kind: "box", box });
    } else if (d.kind === "scribble") {
      send({ kind: "scribble", points: smoothStroke(d.points), positive: d.positive, width: model.get("brush") });
    } else if (d.kind === "erase") {
      const radius = model.get("brush") / 2;
      if (erasedPositions(model.get("interactions"), d.points, radius).length) {
        send({ kind: "erase", path: d.points, radius });
      }
    }
    redraw();
  }

  /** @param {WheelEvent} e */
  function onWheel(e) {
    if (!s.image) return;
    e.preventDefault();
    const p = local(e);
    s.view = zoomAt(s.view, p.sx, p.sy, Math.exp(-e.deltaY * 0.0015));
    s.userView = true;
    redraw();
  }

  /** @param {KeyboardEvent} e */
  function onKeyDown(e) {
    if (e.target instanceof HTMLInputElement && e.target.type !== "range" && e.target.type !== "checkbox") return;
    if (e.key === " ") {
      s.space = true;
      e.preventDefault();
      return;
    }
    const cmd = commandForKey(e);
    if (!cmd) return;
    e.preventDefault();
    e.stopPropagation();
    command(cmd);
  }

  canvas.addEventListener("pointerdown", onPointerDown);
  canvas.addEventListener("pointermove", onPointerMove);
  canvas.addEventListener("pointerup", onPointerUp);
  canvas.addEventListener("pointercancel", () => {
    s.drag = null;
    redraw();
  });
  // right click is a negative click: neither the browser's nor JupyterLab's context menu
  canvas.setAttribute("data-jp-suppress-context-menu", "true");
  canvas.addEventListener("contextmenu", (e) => {
    e.preventDefault();
    e.stopPropagation();
  });
  canvas.addEventListener("wheel", onWheel, { passive: false });
  root.addEventListener("keydown", onKeyDown);
  root.addEventListener("keyup", (e) => {
    if (e.key === " ") s.space = false;
  });
}
