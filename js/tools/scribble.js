// @ts-check
// The scribble tool: a freehand stroke as wide as the brush, smoothed before it leaves; drawn as
// the pixels the kernel rasterises.

import { rasteriseStroke, smoothStroke } from "../strokes.js";
import { defineTool, freehand, signColor } from "./tool.js";

/** @import { Point } from "../protocol.js" */
/** @import { Tool } from "./tool.js" */

/**
 * A brush stroke `width` pixels wide along the polyline; `joined: false` (logged from Python,
 * a scribble known only as pixels): a dot at each point instead.
 * @typedef {{kind: "scribble", points: Point[], positive: boolean, width: number, joined?: boolean}} ScribbleAction
 */

/** @type {Tool<ScribbleAction>} */
export const scribble = defineTool({
  name: "scribble",
  key: "3",
  label: "Scribble",
  icon: "M3 17c3-7 5-11 7-7s2 9 5 5 3-10 6-8",
  title: "draw over the object (+) or the background (−) with the brush; [ / ]: brush size",
  cursor: "default",
  sends: "scribble",
  press: (press) =>
    freehand("scribble", press, signColor(press.positive), (points, { brush }) =>
      press.send({ kind: "scribble", points: smoothStroke(points), positive: press.positive, width: brush }),
    ),
  paint(labels, w, h, strokes) {
    for (const a of strokes) rasteriseStroke(labels, w, h, a.points, a.width, a.positive ? 1 : 2, a.joined !== false);
  },
});
