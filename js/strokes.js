// @ts-check
// Freehand strokes: smoothing, rasterisation (the kernel's rule), and hit tests for the eraser.

/** @import { LogEntry, Point } from "./protocol.js" */

/**
 * Drop points closer than minStep to the last kept one, then a 3-point moving average that keeps
 * both ends: pointer jitter and thousands of near-duplicate points never reach the kernel.
 * @param {Point[]} points
 * @returns {Point[]}
 */
export function smoothStroke(points, minStep = 1) {
  /** @type {Point[]} */
  const kept = [];
  for (const p of points) {
    const last = kept[kept.length - 1];
    if (!last || Math.hypot(p[0] - last[0], p[1] - last[1]) >= minStep) kept.push([p[0], p[1]]);
  }
  const end = points[points.length - 1];
  const tail = kept[kept.length - 1];
  if (end && (tail[0] !== end[0] || tail[1] !== end[1])) kept.push([end[0], end[1]]);
  if (kept.length < 3) return kept;
  const out = [kept[0]];
  for (let i = 1; i < kept.length - 1; i++) {
    out.push([
      (kept[i - 1][0] + kept[i][0] + kept[i + 1][0]) / 3,
      (kept[i - 1][1] + kept[i][1] + kept[i + 1][1]) / 3,
    ]);
  }
  out.push(kept[kept.length - 1]);
  return out;
}

/**
 * Squared distance from (x, y) to the segment a-b.
 * @param {number} x
 * @param {number} y
 * @param {Point} a
 * @param {Point} b
 */
function segmentDistance2(x, y, a, b) {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.min(Math.max(((x - a[0]) * dx + (y - a[1]) * dy) / len2, 0), 1);
  const ex = x - a[0] - t * dx;
  const ey = y - a[1] - t * dy;
  return ex * ex + ey * ey;
}

/**
 * The segments of a polyline, or (joined false) one dot per point.
 * @param {Point[]} points
 * @returns {[Point, Point][]}
 */
function segments(points, joined = true) {
  return joined && points.length > 1
    ? points.slice(1).map((b, i) => [points[i], b])
    : points.map((p) => [p, p]);
}

/**
 * Burn a stroke into a w x h Uint8Array with value: every pixel (x, y) within width / 2 of the
 * polyline (or of each point, joined false), exactly as the session rasterises scribbles, so
 * what is drawn is what the model sees.
 * @param {Uint8Array} mask
 * @param {number} w
 * @param {number} h
 * @param {Point[]} points
 * @param {number} width
 */
export function rasteriseStroke(mask, w, h, points, width, value = 1, joined = true) {
  const r = width / 2;
  for (const [a, b] of segments(points, joined)) {
    const x0 = Math.max(Math.floor(Math.min(a[0], b[0]) - r), 0);
    const y0 = Math.max(Math.floor(Math.min(a[1], b[1]) - r), 0);
    const x1 = Math.min(Math.ceil(Math.max(a[0], b[0]) + r) + 1, w);
    const y1 = Math.min(Math.ceil(Math.max(a[1], b[1]) + r) + 1, h);
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        if (segmentDistance2(x, y, a, b) <= r * r) mask[y * w + x] = value;
      }
    }
  }
  return mask;
}

/**
 * Does the eraser path (radius in image pixels) touch the stroke?
 * @param {{points: Point[], width: number, joined?: boolean}} stroke
 * @param {Point[]} path
 * @param {number} radius
 */
export function strokeHit(stroke, path, radius) {
  const reach = stroke.width / 2 + radius;
  return path.some(([x, y]) =>
    segments(stroke.points, stroke.joined !== false).some(([a, b]) => segmentDistance2(x, y, a, b) <= reach * reach),
  );
}

/**
 * Positions in the interaction log of the scribbles the eraser path touches.
 * @param {LogEntry[]} log
 * @param {Point[]} path
 * @param {number} radius
 * @returns {number[]}
 */
export function erasedPositions(log, path, radius) {
  return log.flatMap((a, k) => (a.kind === "scribble" && strokeHit(a, path, radius) ? [k] : []));
}
