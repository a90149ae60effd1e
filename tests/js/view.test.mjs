import assert from "node:assert/strict";
import { test } from "node:test";
import { boxFromDrag, fitView, imageToScreen, panBy, screenToImage, screenToPixel, stageSize, zoomAt } from "../../js/view.js";

test("fit centres the image at the largest scale that fits", () => {
  assert.deepEqual(fitView(400, 200, 100, 100), { scale: 2, tx: 100, ty: 0 });
});

test("pixel centres map to screen and back", () => {
  const view = { scale: 3, tx: 10, ty: -5 };
  const { sx, sy } = imageToScreen(view, 7, 2);
  assert.deepEqual({ sx, sy }, { sx: 32.5, sy: 2.5 });
  assert.deepEqual(screenToPixel(view, sx, sy, 20, 20), { x: 7, y: 2 });
});

test("clicks outside the image give null; edges clamp to the last pixel", () => {
  const view = fitView(100, 100, 10, 10); // scale 10
  assert.equal(screenToPixel(view, -1, 50, 10, 10), null);
  assert.equal(screenToPixel(view, 100, 50, 10, 10), null);
  assert.deepEqual(screenToPixel(view, 99.9, 0.1, 10, 10), { x: 9, y: 0 });
});

test("zooming keeps the image point under the cursor in place", () => {
  const view = { scale: 2, tx: 5, ty: 7 };
  const before = screenToImage(view, 60, 40);
  const zoomed = zoomAt(view, 60, 40, 1.7);
  const after = screenToImage(zoomed, 60, 40);
  assert.ok(Math.abs(before.u - after.u) < 1e-9 && Math.abs(before.v - after.v) < 1e-9);
  assert.equal(zoomAt(view, 0, 0, 1e9).scale, 64);
  assert.deepEqual(panBy(view, 3, -2), { scale: 2, tx: 8, ty: 5 });
});

test("a drag gives an end-exclusive box in either direction, clamped; tiny drags give none", () => {
  const view = { scale: 2, tx: 0, ty: 0 };
  assert.deepEqual(boxFromDrag(view, { sx: 30, sy: 41 }, { sx: 10.5, sy: 3 }, 100, 100), [5, 1, 15, 21]);
  assert.deepEqual(boxFromDrag(view, { sx: -50, sy: -50 }, { sx: 500, sy: 10 }, 100, 100), [0, 0, 100, 5]);
  assert.equal(boxFromDrag(view, { sx: 10, sy: 10 }, { sx: 11, sy: 30 }, 100, 100), null);
});

test("the stage keeps the image's aspect inside the width and the height it may take", () => {
  assert.deepEqual(stageSize(800, 400, 256, 256), { width: 400, height: 400 }); // the height limits
  assert.deepEqual(stageSize(300, 900, 200, 100), { width: 300, height: 150 }); // the width limits
  assert.deepEqual(stageSize(1000, 500, 100, 300), { width: 166, height: 500 });
});
