// @ts-check
// The click tool: a point inside the object (positive) or outside it (negative), sent at the press.

import { imageToScreen, screenToPixel } from "../view.js";
import { css, defineTool, signColor } from "./tool.js";

/** @import { Tool } from "./tool.js" */

/** A click at (x, y) in image pixels. @typedef {{kind: "click", x: number, y: number, positive: boolean}} ClickAction */

/** @type {Tool<ClickAction>} */
export const click = defineTool({
  name: "click",
  key: "1",
  label: "Click",
  icon: "M12 2v6M12 16v6M2 12h6M16 12h6M10 12a2 2 0 1 0 4 0a2 2 0 1 0 -4 0",
  title: "a point inside the object (+) or outside it (−); right click or shift + click: the other sign",
  cursor: "crosshair",
  sends: "click",
  press({ view, image, at, positive, send }) {
    const px = screenToPixel(view, at.sx, at.sy, image.w, image.h);
    if (px) send({ kind: "click", x: px.x, y: px.y, positive });
    return null;
  },
  draw({ ctx, view }, clicks) {
    for (const a of clicks) {
      const { sx, sy } = imageToScreen(view, a.x, a.y);
      ctx.beginPath();
      ctx.arc(sx, sy, 5, 0, 2 * Math.PI);
      ctx.fillStyle = css(signColor(a.positive));
      ctx.fill();
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
  },
});
