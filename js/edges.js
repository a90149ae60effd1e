// @ts-check
// A mask's boundary as line segments along pixel edges: drawing.js strokes them as one path, a
// fixed number of screen pixels wide at any zoom, made once per mask and cheap to draw.

/** @import { TypedArray } from "./codec.js" */

/**
 * The edges between mask and non-mask pixels (the image's border counts as non-mask), merged
 * into runs: [x0, y0, x1, y1, ...] in image pixel corners, horizontal runs first.
 * @param {TypedArray} mask H x W, non-zero inside
 * @param {number} w
 * @param {number} h
 * @returns {number[]}
 */
export function maskEdges(mask, w, h) {
  /** @type {number[]} */
  const out = [];
  const inside = (/** @type {number} */ x, /** @type {number} */ y) =>
    x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] ? 1 : 0;
  for (let y = 0; y <= h; y++) {
    let start = -1;
    for (let x = 0; x <= w; x++) {
      const edge = x < w && inside(x, y - 1) !== inside(x, y);
      if (edge && start < 0) start = x;
      if (!edge && start >= 0) {
        out.push(start, y, x, y);
        start = -1;
      }
    }
  }
  for (let x = 0; x <= w; x++) {
    let start = -1;
    for (let y = 0; y <= h; y++) {
      const edge = y < h && inside(x - 1, y) !== inside(x, y);
      if (edge && start < 0) start = y;
      if (!edge && start >= 0) {
        out.push(x, start, x, y);
        start = -1;
      }
    }
  }
  return out;
}
