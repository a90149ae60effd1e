// @ts-check
// The view's own state (what the kernel does not hold: tool, sign, zoom, window, layers, the drag
// in progress), and what the canvas shows of the kernel's: its log, then the actions on their way.

import { TOOLS } from "./tools.js";

/** @import { Decoded } from "./codec.js" */
/** @import { Window } from "./image.js" */
/** @import { LogEntry, Model, Queued } from "./protocol.js" */
/** @import { ActionQueue, Batch } from "./queue.js" */
/** @import { AnyTool } from "./tools.js" */
/** @import { Gesture } from "./tools/tool.js" */
/** @import { View } from "./view.js" */

/**
 * The image shown: raw values, size, channels and default window.
 * @typedef {Decoded & {w: number, h: number, channels: number, range: Window}} ShownImage
 */
/**
 * A mask as drawn: its pixels in its colour (the fill), its pixel edges (the outline) and that
 * colour as CSS.
 * @typedef {{pixels: HTMLCanvasElement, edges: Path2D, color: string}} MaskLayer
 */
/**
 * The view's state. tool: the one chosen (tools.js); userView: the user zoomed or panned (a new
 * image keeps that view); otherLayers: the other structures' contours; strokeLayer: the prompts
 * drawn as image pixels (the scribbles); drag: in progress (a tool's, or a pan); space: held
 * down (drags pan); confirming: the widget asks whether to accept an empty mask; finished:
 * requests answered and not yet drawn; frame: the animation frame requested, or 0.
 * @typedef {{
 *   tool: AnyTool,
 *   positive: boolean,
 *   overlay: boolean,
 *   help: boolean,
 *   view: View,
 *   userView: boolean,
 *   image: ShownImage | null,
 *   window: Window,
 *   imageLayer: HTMLCanvasElement | null,
 *   mask: Decoded | null,
 *   maskLayer: MaskLayer | null,
 *   otherLayers: MaskLayer[],
 *   strokeLayer: HTMLCanvasElement | null,
 *   drag: Gesture | null,
 *   space: boolean,
 *   confirming: boolean,
 *   finished: Batch[],
 *   frame: number,
 * }} ViewState
 */

/** @returns {ViewState} */
export function createState() {
  return {
    tool: TOOLS[0],
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
    otherLayers: [],
    strokeLayer: null,
    drag: null,
    space: false,
    confirming: false,
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
