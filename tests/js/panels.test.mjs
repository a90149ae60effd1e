import assert from "node:assert/strict";
import { test } from "node:test";
import { cellKind, chartBars, imageState, modelLine, offersUndo, statusNotice } from "../../js/panels.js";

test("the status line says what state the image is in, and its propagation's confidence", () => {
  assert.equal(imageState("todo", false, null), "new");
  assert.equal(imageState("in progress", false, null), "in progress");
  assert.equal(imageState("accepted", false, null), "accepted");
  assert.equal(imageState("accepted", true, null), "in context");
  assert.equal(imageState("todo", false, 0.834), "new · propagated, confidence 83%");
  assert.equal(imageState("accepted", true, 1), "in context · propagated, confidence 100%");
});

test("the progress strip tells in-context images from the other accepted ones", () => {
  assert.deepEqual(
    [["todo", false], ["in progress", false], ["accepted", false], ["accepted", true]].map(([s, c]) => cellKind(s, c)),
    ["todo", "in-progress", "accepted", "in-context"],
  );
});

test("the model line", () => {
  assert.equal(modelLine({ name: "built-in", device: "cpu", parameters: 312_000 }), "built-in · cpu · 0.3 M parameters");
});

test("while a suggestion is on its way the status says the open images are being predicted", () => {
  assert.match(statusNotice(true, "old news"), /predicting the open images/);
  assert.equal(statusNotice(false, "suggested: the least sure, confidence 62%"), "suggested: the least sure, confidence 62%");
  assert.equal(statusNotice(false, ""), "");
});

test("the in-context gain chart: one bar per accepted image, in order, as tall as its prompts", () => {
  assert.deepEqual(chartBars([], 100, 20), []);
  const bars = chartBars([4, 2, 0], 30, 20);
  assert.deepEqual(bars.map((b) => [b.x, b.w, b.h, b.y]), [[0, 9, 20, 0], [10, 9, 10, 10], [20, 9, 1, 19]]);
  assert.equal(bars[1].title, "accepted image 2: 2 prompts");
  assert.equal(chartBars([1], 10, 8)[0].title, "accepted image 1: 1 prompt");
  assert.equal(chartBars([0, 0], 10, 8)[0].h, 1); // no prompt at all: still a bar to see
});

test("the status line offers Undo while the notice says the removed image left", () => {
  assert.equal(offersUndo("image 3 left the context set", { index: 2, entry: 0 }), true);
  assert.equal(offersUndo("image 3 left the context set", { index: 1, entry: 0 }), false);
  assert.equal(offersUndo("image 3 left the context set", null), false);
  assert.equal(offersUndo("", { index: 2, entry: 0 }), false);
});
