// @ts-check
// The view's own state (what the kernel does not hold: tool, sign, zoom, window, layers, the drag
// in progress), and what the canvas shows of the kernel's: its log, then the actions on their way.

/** @import { Decoded } from "./codec.js" */
/** @import { Window } from "./image.js" */
/** @import { LogEntry, Model, Point, Queued } from "./protocol.js" */
/** @import { ActionQueue, Batch } from "./queue.js" */
/** @import { ScreenPoint, View } from "./view.js" */

/** @typedef {"click" | "box" | "scribble" | "eraser"} Tool */
/**
 * The image shown: raw values, size, channels and default window.
 * @typedef {Decoded & {w: number, h: number, channels: number, range: Window}} ShownImage
 */
/**
 * A drag in progress: panning, a box between two screen points, or a scribble or eraser path in
 * image pixels.
 * @typedef {{kind: "pan", last: ScreenPoint}
 *   | {kind: "box", a: ScreenPoint, b: ScreenPoint}
 *   | {kind: "scribble" | "erase", positive: boolean, points: Point[]}} Drag
 */
/**
 * The view's state. userView: the user zoomed or panned (a new image keeps that view); space:
 * held down (drags pan); finished: requests answered and not yet drawn; frame: the animation
 * frame requested, or 0.
 * @typedef {{
 *   tool: Tool,
 *   positive: boolean,
 *   overlay: boolean,
 *   help: boolean,
 *   view: View,
 *   userView: boolean,
 *   image: ShownImage | null,
 *   window: Window,
 *   imageLayer: HTMLCanvasElement | null,
 *   mask: Decoded | null,
 *   maskLayer: HTMLCanvasElement | null,
 *   strokeLayer: HTMLCanvasElement | null,
 *   drag: Drag | null,
 *   space: boolean,
 *   finished: Batch[],
 *   frame: number,
 * }} ViewState
 */

/** @returns {ViewState} */
export function createState() {
  return {
    tool: "click",
    positive: true,
    overlay: true,
    help: false,
    view: { scale: 1, tx: 0, ty: 0 },
    userView: false,
    image: null,
    window: [0, 255],
    imageLayer: null,
    mask: null,
    maskLayer: null,
    strokeLayer: null,
    drag: null,
    space: false,
    finished: [],
    frame: 0,
  };
}

/**
 * The interactions the canvas shows: the kernel's log, then those sent or waiting that will land
 * on this image (drawn before the kernel confirms them).
 * @param {Model} model
 * @param {ActionQueue} queue
 * @returns {(LogEntry | Queued)[]}
 */
export function shownInteractions(model, queue) {
  return [...model.get("interactions"), ...queue.optimistic()];
}
