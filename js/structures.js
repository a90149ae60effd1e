// @ts-check
// Several structures in one dataset: the one after the current (the s key), each structure's
// colour (the kernel's `colors`, by position), and whether a typed name can name a structure
// (the kernel checks it again: widget/protocol.py).

/** @import { RGB } from "./image.js" */

/** A structure's colour until the kernel has sent one (it gives every structure one). */
const FALLBACK = "#ffaa00";

/**
 * The structure after `current` in `names`, wrapping around (the first if `current` is not one).
 * @param {readonly string[]} names
 * @param {string} current
 */
export function nextStructure(names, current) {
  return names[(names.indexOf(current) + 1) % names.length];
}

/**
 * The colour of structure `name`: the one at its position in `colors`.
 * @param {readonly string[]} names
 * @param {readonly string[]} colors
 * @param {string} name
 */
export function colorOf(names, colors, name) {
  return colors[names.indexOf(name)] ?? FALLBACK;
}

/**
 * `colors` with structure k's colour set to `color` (positions up to k filled in).
 * @param {readonly string[]} colors
 * @param {number} k
 * @param {string} color
 */
export function recolor(colors, k, color) {
  return Array.from({ length: Math.max(colors.length, k + 1) }, (_, j) => (j === k ? color : colors[j] ?? FALLBACK));
}

/**
 * "#rrggbb" -> [r, g, b].
 * @param {string} hex
 * @returns {RGB}
 */
export function hexToRGB(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * Why `name` (trimmed) cannot be a new structure's name, or "" when it can.
 * @param {string} name
 * @param {readonly string[]} names
 */
export function nameProblem(name, names) {
  if (!name) return "type a name";
  return names.includes(name) ? `there is already a structure named ${name}` : "";
}
