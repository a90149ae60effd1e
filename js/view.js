// @ts-check
// Screen <-> image coordinates under zoom and pan.
// Image pixel (x, y) is the point (x, y), as for the session's clicks: displayed pixel i covers
// [i, i + 1) in image units, so its centre is at i + 0.5 before the half-pixel shift.

/** @import { Box } from "./protocol.js" */

/** Screen = image units * scale + (tx, ty). @typedef {{scale: number, tx: number, ty: number}} View */
/** A point on the canvas, in CSS pixels from its top left. @typedef {{sx: number, sy: number}} ScreenPoint */

/**
 * The transform that fits a w x h image into a cw x ch canvas, centred.
 * @param {number} cw
 * @param {number} ch
 * @param {number} w
 * @param {number} h
 * @returns {View}
 */
export function fitView(cw, ch, w, h) {
  const scale = Math.min(cw / w, ch / h);
  return { scale, tx: (cw - w * scale) / 2, ty: (ch - h * scale) / 2 };
}

/**
 * Screen point -> continuous image units (pixel i spans [i, i + 1)).
 * @param {View} view
 * @param {number} sx
 * @param {number} sy
 */
export function screenToImage(view, sx, sy) {
  return { u: (sx - view.tx) / view.scale, v: (sy - view.ty) / view.scale };
}

/**
 * Image pixel coordinates (pixel centres) -> screen point.
 * @param {View} view
 * @param {number} x
 * @param {number} y
 * @returns {ScreenPoint}
 */
export function imageToScreen(view, x, y) {
  return { sx: (x + 0.5) * view.scale + view.tx, sy: (y + 0.5) * view.scale + view.ty };
}

/**
 * Screen point -> image pixel coordinates for a click, or null outside the w x h image.
 * @param {View} view
 * @param {number} sx
 * @param {number} sy
 * @param {number} w
 * @param {number} h
 */
export function screenToPixel(view, sx, sy, w, h) {
  const { u, v } = screenToImage(view, sx, sy);
  if (!(u >= 0 && u < w && v >= 0 && v < h)) return null;
  return { x: clamp(u - 0.5, 0, w - 1), y: clamp(v - 0.5, 0, h - 1) };
}

/**
 * Zoom by factor about the screen point (sx, sy): the image point under it stays put.
 * @param {View} view
 * @param {number} sx
 * @param {number} sy
 * @param {number} factor
 * @returns {View}
 */
export function zoomAt(view, sx, sy, factor, minScale = 0.05, maxScale = 64) {
  const scale = clamp(view.scale * factor, minScale, maxScale);
  const k = scale / view.scale;
  return { scale, tx: sx - (sx - view.tx) * k, ty: sy - (sy - view.ty) * k };
}

/**
 * @param {View} view
 * @param {number} dx
 * @param {number} dy
 * @returns {View}
 */
export function panBy(view, dx, dy) {
  return { scale: view.scale, tx: view.tx + dx, ty: view.ty + dy };
}

/**
 * Two dragged screen points -> an end-exclusive box in image pixels, or null if empty.
 * @param {View} view
 * @param {ScreenPoint} a
 * @param {ScreenPoint} b
 * @param {number} w
 * @param {number} h
 * @returns {Box | null}
 */
export function boxFromDrag(view, a, b, w, h) {
  const p = screenToImage(view, a.sx, a.sy);
  const q = screenToImage(view, b.sx, b.sy);
  const x0 = clamp(Math.floor(Math.min(p.u, q.u)), 0, w);
  const y0 = clamp(Math.floor(Math.min(p.v, q.v)), 0, h);
  const x1 = clamp(Math.ceil(Math.max(p.u, q.u)), 0, w);
  const y1 = clamp(Math.ceil(Math.max(p.v, q.v)), 0, h);
  return x1 - x0 >= 2 && y1 - y0 >= 2 ? [x0, y0, x1, y1] : null;
}

/**
 * @param {number} value
 * @param {number} lo
 * @param {number} hi
 */
export function clamp(value, lo, hi) {
  return Math.min(Math.max(value, lo), hi);
}

/**
 * The canvas's size for a w x h image: its aspect, at most `width` wide and `maxHeight` high.
 * @param {number} width
 * @param {number} maxHeight
 * @param {number} w
 * @param {number} h
 */
export function stageSize(width, maxHeight, w, h) {
  const scale = Math.min(width / w, maxHeight / h);
  return { width: Math.max(1, Math.floor(w * scale)), height: Math.max(1, Math.floor(h * scale)) };
}
