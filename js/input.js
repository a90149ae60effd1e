// @ts-check
// Input: pointer, wheel and key events on the canvas -> actions for the kernel, commands, and the
// view's own changes (zoom, pan). What a press and a drag make is the chosen tool's (tools.js).

import { commandForKey } from "./shortcuts.js";
import { panBy, zoomAt } from "./view.js";

/** @import { Model, Queued } from "./protocol.js" */
/** @import { Command } from "./shortcuts.js" */
/** @import { ShownImage, ViewState } from "./state.js" */
/** @import { Gesture, Scene } from "./tools/tool.js" */
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
   * What a tool's handlers read now.
   * @param {ShownImage} image
   * @returns {Scene}
   */
  function scene(image) {
    return { view: s.view, image, brush: model.get("brush"), log: model.get("interactions") };
  }

  /**
   * Space + drag or a middle drag: the view follows the pointer.
   * @param {ScreenPoint} start
   * @returns {Gesture}
   */
  function pan(start) {
    let last = start;
    return {
      tool: "pan",
      move: (at) => {
        s.view = panBy(s.view, at.sx - last.sx, at.sy - last.sy);
        s.userView = true;
        last = at;
      },
      release: () => {},
      draw: () => {},
    };
  }

  /** @param {PointerEvent} e */
  function onPointerDown(e) {
    canvas.focus();
    const image = s.image;
    if (!image) return;
    const at = local(e);
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    if (e.button === 1 || (e.button === 0 && s.space)) {
      s.drag = pan(at);
      return;
    }
    if (e.button !== 0 && e.button !== 2) return;
    const positive = s.positive !== (e.button === 2 || e.shiftKey);
    s.drag = s.tool.press({ ...scene(image), at, positive, send });
  }

  /** @param {PointerEvent} e */
  function onPointerMove(e) {
    const d = s.drag;
    if (!d || !s.image) return;
    d.move(local(e), scene(s.image));
    redraw();
  }

  function onPointerUp() {
    const d = s.drag;
    s.drag = null;
    if (!d || !s.image) return;
    d.release(scene(s.image));
    redraw();
  }

  /**
   * The wheel zooms with ctrl / cmd held, or once the canvas has the focus (a click on it);
   * otherwise it scrolls the page.
   * @param {WheelEvent} e
   */
  function onWheel(e) {
    if (!s.image || !(e.ctrlKey || e.metaKey || document.activeElement === canvas)) return;
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
