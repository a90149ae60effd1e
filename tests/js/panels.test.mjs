import assert from "node:assert/strict";
import { test } from "node:test";
import { cellKind, imageState, modelLine, statusNotice } from "../../js/panels.js";

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
