import assert from "node:assert/strict";
import { test } from "node:test";
import { NOTICE } from "../../js/generated/protocol.js";
import { modelLine, offersUndo } from "../../js/panels.js";

test("the model line", () => {
  assert.equal(modelLine({ name: "built-in", device: "cpu", parameters: 312_000, adapts: false }), "built-in · cpu · 0.3 M parameters");
  assert.equal(
    modelLine({ name: "built-in", device: "cpu", parameters: 312_000, adapts: true }),
    "built-in · cpu · 0.3 M parameters · adapts to each context set",
  );
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
