import assert from "node:assert/strict";
import { test } from "node:test";
import { countMask, defaultWindow, fromLevelWidth, maskToRGBA, toLevelWidth, windowToRGBA } from "../../js/image.js";

test("default windows follow the model's normalisation", () => {
  assert.deepEqual(defaultWindow(new Uint8Array([3, 9]), "uint8"), [0, 255]);
  assert.deepEqual(defaultWindow(new Float32Array([0.1, 0.9]), "float32"), [0, 1]);
  const ct = new Int16Array(1000).map((_, i) => i - 500);
  ct[0] = -3000; // a few extreme pixels do not stretch the window
  ct[999] = 3000;
  const [lo, hi] = defaultWindow(ct, "int16");
  assert.ok(lo > -500 && lo < -490 && hi > 490 && hi < 500, `${lo} ${hi}`);
  assert.deepEqual(defaultWindow(new Uint16Array([7, 7]), "uint16"), [7, 8]);
});

test("level and width are the window's centre and span", () => {
  assert.deepEqual(toLevelWidth([100, 300]), { level: 200, width: 200 });
  assert.deepEqual(fromLevelWidth(200, 200), [100, 300]);
});

test("windowing maps lo..hi to 0..255 and clips, gray or RGB", () => {
  const gray = windowToRGBA(new Uint16Array([1000, 2000, 3000, 5000]), 2, 2, 1, [1000, 3000]);
  assert.deepEqual([...gray.slice(0, 4)], [0, 0, 0, 255]);
  assert.equal(gray[4], 128);
  assert.equal(gray[8], 255);
  assert.equal(gray[12], 255);
  const rgb = windowToRGBA(new Uint8Array([255, 0, 10]), 1, 1, 3, [0, 255]);
  assert.deepEqual([...rgb], [255, 0, 10, 255]);
});

test("a mask layer colours every mask pixel, opaque, and nothing else", () => {
  const mask = new Uint8Array(25);
  for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) mask[y * 5 + x] = 1;
  const rgba = maskToRGBA(mask, 5, 5, [1, 2, 3]);
  assert.deepEqual([...rgba.slice(12 * 4, 13 * 4)], [1, 2, 3, 255]);
  assert.deepEqual([...rgba.slice(0, 4)], [0, 0, 0, 0]);
  assert.equal([...rgba].filter((v, i) => i % 4 === 3 && v).length, 9);
  assert.equal(countMask(mask), 9);
});
