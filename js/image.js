// @ts-check
// Window/level and overlays: typed arrays -> RGBA pixels for ImageData (Canvas 2D, no WebGL).

/** @import { TypedArray } from "./codec.js" */

/** [lo, hi]: lo shows black, hi white. @typedef {[number, number]} Window */
/** @typedef {[number, number, number]} RGB */

/**
 * The default window [lo, hi], matching the model's normalisation: uint8 keeps 0..255, floats
 * already in [0, 1] keep it, anything else (16-bit, CT/MR) takes its 0.5-99.5 percentiles.
 * @param {TypedArray} data
 * @param {string} dtype
 * @returns {Window}
 */
export function defaultWindow(data, dtype) {
  if (dtype === "uint8") return [0, 255];
  let min = Infinity;
  let max = -Infinity;
  for (const v of data) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (dtype === "float32" && min >= 0 && max <= 1) return [0, 1];
  const step = Math.max(1, Math.floor(data.length / 65536));
  /** @type {number[]} */
  const sample = [];
  for (let i = 0; i < data.length; i += step) sample.push(data[i]);
  sample.sort((a, b) => a - b);
  const pick = (/** @type {number} */ q) => sample[Math.min(sample.length - 1, Math.round(q * (sample.length - 1)))];
  const lo = pick(0.005);
  const hi = pick(0.995);
  return hi > lo ? [lo, hi] : max > min ? [min, max] : [min, min + 1];
}

/**
 * Window [lo, hi] -> level (centre) and window width, the radiologist's two numbers.
 * @param {Window} window
 */
export function toLevelWidth([lo, hi]) {
  return { level: (lo + hi) / 2, width: hi - lo };
}

/**
 * @param {number} level
 * @param {number} width
 * @returns {Window}
 */
export function fromLevelWidth(level, width) {
  const half = Math.max(width, 1e-6) / 2;
  return [level - half, level + half];
}

/**
 * An H x W or H x W x 3 array through the window [lo, hi] -> RGBA bytes.
 * @param {TypedArray} data
 * @param {number} w
 * @param {number} h
 * @param {number} channels
 * @param {Window} window
 */
export function windowToRGBA(data, w, h, channels, [lo, hi]) {
  const out = new Uint8ClampedArray(w * h * 4);
  const k = 255 / (hi - lo);
  for (let i = 0; i < w * h; i++) {
    for (let c = 0; c < 3; c++) {
      const v = data[i * channels + (channels === 3 ? c : 0)];
      out[i * 4 + c] = (v - lo) * k;
    }
    out[i * 4 + 3] = 255;
  }
  return out;
}

/**
 * A 0/1 mask -> RGBA: every mask pixel in color, opaque (drawing.js draws its fill at the chosen
 * opacity and its outline in screen pixels).
 * @param {TypedArray} mask
 * @param {number} w
 * @param {number} h
 * @param {RGB} color
 */
export function maskToRGBA(mask, w, h, color) {
  const out = new Uint8ClampedArray(w * h * 4);
  mask.forEach((v, i) => {
    if (v) out.set([color[0], color[1], color[2], 255], i * 4);
  });
  return out;
}

/**
 * Foreground pixel count of a 0/1 mask.
 * @param {TypedArray} mask
 */
export function countMask(mask) {
  let n = 0;
  for (const v of mask) n += v ? 1 : 0;
  return n;
}
