// @ts-check
// The eraser tool: a path as wide as the brush; the scribbles it touches go, as one undo step.

import { erasedPositions } from "../strokes.js";
import { defineTool, freehand } from "./tool.js";

/** @import { EraseGesture } from "../protocol.js" */
/** @import { Tool } from "./tool.js" */

/** @type {Tool<EraseGesture>} */
export const eraser = defineTool({
  name: "eraser",
  key: "4",
  label: "Eraser",
  icon: "M3 15l9-9 7 7-8 8H8zM8 21h13M7.5 10.5l7 7",
  title: "drag across scribbles to remove them (z brings them back)",
  cursor: "cell",
  sends: "erase",
  press: (press) =>
    freehand("eraser", press, [200, 200, 200], (path, { brush, log }) => {
      const radius = brush / 2;
      if (erasedPositions(log, path, radius).length) press.send({ kind: "erase", path, radius });
    }),
});
