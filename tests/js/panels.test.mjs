import assert from "node:assert/strict";
import { test } from "node:test";
import { NOTICE } from "../../js/generated/protocol.js";
import { chartBars, contextCount, modelLine, offersUndo, statusNotice } from "../../js/panels.js";

test("the model line", () => {
  assert.equal(modelLine({ name: "built-in", device: "cpu", parameters: 312_000, adapts: false }), "built-in · cpu · 0.3 M parameters");
  assert.equal(
    modelLine({ name: "built-in", device: "cpu", parameters: 312_000, adapts: true }),
    "built-in · cpu · 0.3 M parameters · adapts to each context set",
  );
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
  const left = [{ code: NOTICE.context_removed, args: { index: 2 } }]; // "image 3 left the context set"
  assert.equal(offersUndo(left, { index: 2, entry: 0 }), true);
  assert.equal(offersUndo(left, { index: 1, entry: 0 }), false);
  assert.equal(offersUndo(left, null), false);
  assert.equal(offersUndo([], { index: 2, entry: 0 }), false);
  // while it checks the new context set the notice is longer: no Undo until the answer
  assert.equal(offersUndo([...left, { code: NOTICE.checking, args: {} }], { index: 2, entry: 0 }), false);
});

test("the status counts the context images a bounded prediction used", () => {
  assert.equal(contextCount(0, 5), "context 5"); // no prediction from context yet
  assert.equal(contextCount(5, 5), "context 5");
  assert.equal(contextCount(3, 57), "context 3 of 57");
});
