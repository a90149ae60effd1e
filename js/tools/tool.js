// @ts-check
// What every tool of the toolbar is (js/tools.js lists them in order): how it shows itself (name,
// key, button, tooltip, cursor), its pointer handlers (a press -> a gesture -> actions for the
// kernel) and its drawing (its prompts on the canvas, and its drag in progress). And what tools
// share: the colours of the two signs, the pixel under the pointer, the freehand drag.

import { MAX_STROKE_POINTS } from "../generated/protocol.js";
import { clamp, imageToScreen, screenToImage } from "../view.js";

/** @import { RGB } from "../image.js" */
/** @import { LogEntry, Point } from "../protocol.js" */
/** @import { ShownImage } from "../state.js" */
/** @import { ScreenPoint, View } from "../view.js" */

/** Anything queued, logged or shown, told apart by its kind. @typedef {{kind: string}} Entry */

/**
 * How a tool shows itself: `name` (its command is `tool-<name>`), `key` (its shortcut),
 * `label` (its button's name, "label (key)"), `icon` (the button's picture: SVG path data on a
 * 24 x 24 grid, stroked, icons.js), `title` (what the tooltip says after the name), `cursor`
 * (the canvas's CSS cursor while it is chosen).
 * @typedef {{name: string, key: string, label: string, icon: string, title: string, cursor: string}} ToolInfo
 */

/**
 * What a handler reads at the moment of an event: the view, the image shown, the brush (image
 * pixels) and the kernel's log.
 * @typedef {{view: View, image: ShownImage, brush: number, log: LogEntry[]}} Scene
 */

/**
 * A press of the left or right button on the canvas: where, with which sign (the toolbar's,
 * flipped by the right button or shift), and how to queue what the tool makes of it.
 * @template {Entry} Q
 * @typedef {Scene & {at: ScreenPoint, positive: boolean, send: (action: Q) => void}} Press
 */

/**
 * A drag in progress until the pointer is released (escape or a cancel drops it): `tool` whose
 * it is, `move` at each pointer move, `release` at the end (it sends what the drag made), `draw`
 * in each frame after the prompts.
 * @typedef {{
 *   tool: string,
 *   move(at: ScreenPoint, scene: Scene): void,
 *   release(scene: Scene): void,
 *   draw(painter: Painter): void,
 * }} Gesture
 */

/**
 * What tools draw with: the canvas's context in CSS pixels, the view, the image's size, the brush.
 * @typedef {{ctx: CanvasRenderingContext2D, view: View, w: number, h: number, brush: number}} Painter
 */

/**
 * A tool as its module writes it. Q: what it queues, its actions of kind `sends`; for a prompt
 * tool these are also its log entries. `press` sends at once or returns the drag it starts.
 * `paint` burns its prompts into the image-sized label layer (1 positive, 2 negative; drawn
 * under the marks); `draw` draws them on the canvas (`drag`: the drag in progress, any tool's).
 * Both get only this tool's entries: the log's, then those on their way to the kernel.
 * @template {Entry} Q
 * @typedef {ToolInfo & {
 *   sends: Q["kind"],
 *   press(press: Press<Q>): Gesture | null,
 *   paint?: (labels: Uint8Array, w: number, h: number, mine: Q[]) => void,
 *   draw?: (painter: Painter, mine: Q[], drag: Gesture | null) => void,
 * }} ToolSpec
 */

/**
 * A tool as the rest of the front end uses it: `paint` and `draw` take everything shown and pick
 * the tool's own entries (`is`); `paints`: whether it burns anything into the label layer.
 * @template {Entry} Q
 * @typedef {ToolInfo & {
 *   sends: Q["kind"],
 *   is(entry: Entry): entry is Q,
 *   paints: boolean,
 *   press(press: Press<Q>): Gesture | null,
 *   paint(labels: Uint8Array, w: number, h: number, shown: readonly Entry[]): void,
 *   draw(painter: Painter, shown: readonly Entry[], drag: Gesture | null): void,
 * }} Tool
 */

/**
 * @template {Entry} Q
 * @param {ToolSpec<Q>} spec
 * @returns {Tool<Q>}
 */
export function defineTool(spec) {
  /** @type {(entry: Entry) => entry is Q} */
  const is = (entry) => entry.kind === spec.sends;
  return {
    ...spec,
    is,
    paints: Boolean(spec.paint),
    paint: (labels, w, h, shown) => spec.paint?.(labels, w, h, shown.filter(is)),
    draw: (painter, shown, drag) => spec.draw?.(painter, shown.filter(is), drag),
  };
}

/** @type {{positive: RGB, negative: RGB}} */
export const SIGN_COLORS = { positive: [40, 220, 90], negative: [240, 60, 60] };

/**
 * A CSS colour.
 * @param {RGB} rgb
 * @param {number} [alpha]
 */
export function css(rgb, alpha) {
  return alpha === undefined ? `rgb(${rgb.join(",")})` : `rgba(${rgb.join(",")},${alpha})`;
}

/** @param {boolean} positive */
export function signColor(positive) {
  return positive ? SIGN_COLORS.positive : SIGN_COLORS.negative;
}

/**
 * The image pixel under a screen point, clamped to the image.
 * @param {Scene} scene
 * @param {ScreenPoint} at
 * @returns {Point}
 */
export function pixelAt({ view, image }, at) {
  const { u, v } = screenToImage(view, at.sx, at.sy);
  return [clamp(u - 0.5, 0, image.w - 1), clamp(v - 0.5, 0, image.h - 1)];
}

/**
 * A freehand drag: the image pixels under the pointer, drawn as a path as wide as the brush;
 * `done` gets them at the release, or every MAX_STROKE_POINTS points during a very long drag.
 * @param {string} tool
 * @param {Scene & {at: ScreenPoint}} press
 * @param {RGB} color
 * @param {(points: Point[], scene: Scene) => void} done
 * @returns {Gesture}
 */
export function freehand(tool, press, color, done) {
  /** @type {Point[]} */
  const points = [pixelAt(press, press.at)];
  return {
    tool,
    move: (at, scene) => {
      points.push(pixelAt(scene, at));
      if (points.length < MAX_STROKE_POINTS) return;
      done(points.slice(), scene); // the kernel's limit: the drag goes on as a new stroke
      points.splice(0, points.length - 1);
    },
    release: (scene) => done(points, scene),
    draw: (painter) => drawPath(painter, points, painter.brush, color),
  };
}

/**
 * A path through image pixels, `width` image pixels wide, with round ends and joints.
 * @param {Painter} painter
 * @param {Point[]} points
 * @param {number} width
 * @param {RGB} color
 */
export function drawPath({ ctx, view }, points, width, color) {
  ctx.beginPath();
  for (const [x, y] of points) {
    const p = imageToScreen(view, x, y);
    ctx.lineTo(p.sx, p.sy);
  }
  ctx.lineCap = ctx.lineJoin = "round";
  ctx.lineWidth = Math.max(width * view.scale, 1);
  ctx.strokeStyle = css(color, 0.7);
  ctx.stroke();
}
