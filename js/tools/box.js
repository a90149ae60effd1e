// @ts-check
// The box tool: drag a box around the object. The kernel keeps the latest box, so the canvas
// shows that one, or the one being dragged.

import { boxFromDrag } from "../view.js";
import { defineTool } from "./tool.js";

/** @import { Box } from "../protocol.js" */
/** @import { Painter, Tool } from "./tool.js" */

/** A box in image pixels, end exclusive. @typedef {{kind: "box", box: Box}} BoxAction */

/** @type {Tool<BoxAction>} */
export const box = defineTool({
  name: "box",
  key: "2",
  label: "Box",
  icon: "M4 5h16v14H4z",
  title: "drag a box around the object (a new box replaces the last one)",
  cursor: "default",
  sends: "box",
  press({ at: a, send }) {
    let b = a;
    return {
      tool: "box",
      move: (at) => {
        b = at;
      },
      release: ({ view, image }) => {
        const dragged = boxFromDrag(view, a, b, image.w, image.h);
        if (dragged) send({ kind: "box", box: dragged });
      },
      draw: (painter) => {
        const dragged = boxFromDrag(painter.view, a, b, painter.w, painter.h);
        if (dragged) outline(painter, dragged);
      },
    };
  },
  draw(painter, boxes, drag) {
    const latest = drag?.tool === "box" ? undefined : boxes.at(-1);
    if (latest) outline(painter, latest.box);
  },
});

/**
 * @param {Painter} painter
 * @param {Box} box
 */
function outline({ ctx, view: v }, box) {
  ctx.strokeStyle = "#4af";
  ctx.lineWidth = 2;
  ctx.strokeRect(box[0] * v.scale + v.tx, box[1] * v.scale + v.ty, (box[2] - box[0]) * v.scale, (box[3] - box[1]) * v.scale);
}
