import assert from "node:assert/strict";
import { test } from "node:test";
import { erasedPositions, rasteriseStroke, smoothStroke, strokeHit } from "../../js/strokes.js";

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

test("the eraser names the log positions of the scribbles it touches, and only scribbles", () => {
  const log = [
    { kind: "click", x: 5, y: 0, positive: true },
    { kind: "scribble", points: [[0, 0], [10, 0]], positive: true, width: 2 },
    { kind: "box", box: [0, 0, 10, 10] },
    { kind: "scribble", points: [[0, 9], [10, 9]], positive: false, width: 2 },
  ];
  assert.deepEqual(erasedPositions(log, [[5, 1]], 1), [1]);
  assert.deepEqual(erasedPositions(log, [[5, 1], [5, 8]], 1), [1, 3]);
  assert.deepEqual(erasedPositions(log, [[5, 5]], 1), []);
});

test("a stroke logged as dots (joined false) is drawn and hit as dots, not as a polyline", () => {
  const dots = rasteriseStroke(new Uint8Array(5 * 10), 10, 5, [[1, 2], [8, 2]], 1, 1, false);
  assert.deepEqual([...dots.slice(20, 30)], [0, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
  const stroke = { points: [[1, 2], [8, 2]], width: 1, joined: false };
  assert.ok(!strokeHit(stroke, [[4.5, 2]], 1));
  assert.ok(strokeHit({ ...stroke, joined: true }, [[4.5, 2]], 1));
});
