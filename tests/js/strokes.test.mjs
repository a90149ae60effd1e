import assert from "node:assert/strict";
import { test } from "node:test";
import { rasteriseStroke, smoothStroke, strokeHit } from "../../js/strokes.js";

test("smoothing drops jitter points and keeps both ends", () => {
  const raw = [[0, 0], [0.2, 0.1], [0.3, 0.2], [2, 0], [4, 2], [4.1, 2.05]];
  const out = smoothStroke(raw, 1);
  assert.deepEqual(out[0], [0, 0]);
  assert.deepEqual(out.at(-1), [4.1, 2.05]);
  assert.ok(out.length < raw.length);
  assert.deepEqual(out[1], [(0 + 2 + 4) / 3, (0 + 0 + 2) / 3]);
});

test("a single point is a round brush dab; pixels are points", () => {
  const mask = rasteriseStroke(new Uint8Array(49), 7, 7, [[3, 3]], 4);
  const rows = [];
  for (let y = 0; y < 7; y++) rows.push([...mask.slice(y * 7, y * 7 + 7)].join(""));
  assert.deepEqual(rows, ["0000000", "0001000", "0011100", "0111110", "0011100", "0001000", "0000000"]);
});

test("segments are covered within width / 2, clipped to the image, with the given value", () => {
  const mask = rasteriseStroke(new Uint8Array(5 * 10), 10, 5, [[-3, 2], [20, 2]], 1, 2);
  for (let x = 0; x < 10; x++) {
    assert.equal(mask[2 * 10 + x], 2);
    assert.equal(mask[1 * 10 + x], 0);
  }
});

test("the eraser hits strokes within its radius plus half their width", () => {
  const stroke = { points: [[0, 0], [10, 0]], width: 4 };
  assert.ok(strokeHit(stroke, [[5, 3.9]], 2));
  assert.ok(!strokeHit(stroke, [[5, 3.1], [13.5, 0]], 1));
});
