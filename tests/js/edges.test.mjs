import assert from "node:assert/strict";
import { test } from "node:test";
import { maskEdges } from "../../js/edges.js";

/** @param {number[]} flat */
const segments = (flat) => Array.from({ length: flat.length / 4 }, (_, i) => flat.slice(4 * i, 4 * i + 4));

test("one pixel is bounded by its four sides", () => {
  const mask = new Uint8Array([0, 0, 0, 0, 1, 0, 0, 0, 0]);
  assert.deepEqual(segments(maskEdges(mask, 3, 3)), [
    [1, 1, 2, 1],
    [1, 2, 2, 2],
    [1, 1, 1, 2],
    [2, 1, 2, 2],
  ]);
});

test("runs along a side merge, and the image's border bounds a mask that touches it", () => {
  const mask = new Uint8Array([1, 1, 1, 0, 0, 0]); // 3 x 2: the top row
  assert.deepEqual(segments(maskEdges(mask, 3, 2)), [
    [0, 0, 3, 0],
    [0, 1, 3, 1],
    [0, 0, 0, 1],
    [3, 0, 3, 1],
  ]);
  assert.deepEqual(maskEdges(new Uint8Array(6), 3, 2), []);
});

test("the edges' length is the mask's perimeter in pixel sides, on a random mask", () => {
  const w = 17;
  const h = 11;
  let seed = 7;
  const mask = new Uint8Array(w * h).map(() => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) > 2 ** 30 ? 1 : 0));
  const at = (/** @type {number} */ x, /** @type {number} */ y) => (x >= 0 && y >= 0 && x < w && y < h ? mask[y * w + x] : 0);
  let sides = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (at(x, y)) sides += 4 - at(x - 1, y) - at(x + 1, y) - at(x, y - 1) - at(x, y + 1);
    }
  }
  const length = segments(maskEdges(mask, w, h)).reduce((sum, [x0, y0, x1, y1]) => sum + (x1 - x0) + (y1 - y0), 0);
  assert.equal(length, sides);
});
