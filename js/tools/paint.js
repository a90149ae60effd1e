// @ts-check
// The paint tool: the mask itself, by hand, for the last pixels the model will not get right. A
// stroke as wide as the brush adds its pixels (+) or erases them (−); the kernel rasterises it onto
// its mask as one hand edit (undoable, saved like Session.set_mask). Until the kernel answers,
// the stroke is drawn as a path.

import { defineTool, drawPath, freehand, signColor } from "./tool.js";

/** @import { PaintAction } from "../generated/protocol.js" */
/** @import { Tool } from "./tool.js" */

/** @type {Tool<PaintAction>} */
export const paint = defineTool({
  name: "paint",
  key: "5",
  label: "Paint",
  icon: "M14 4l6 6-9 9H5v-6zM5 19l-2 2M11 7l6 6",
  title: "paint the mask itself: add (+) or erase (−) pixels with the brush; [ / ]: brush size",
  cursor: "crosshair",
  sends: "paint",
  press: (press) =>
    freehand("paint", press, signColor(press.positive), (points, { brush }) =>
      press.send({ kind: "paint", points, positive: press.positive, width: brush }),
    ),
  draw(painter, strokes) {
    for (const a of strokes) drawPath(painter, a.points, a.width, signColor(a.positive));
  },
});
