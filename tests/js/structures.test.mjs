import assert from "node:assert/strict";
import { test } from "node:test";
import { modelLine } from "../../js/panels.js";
import { ActionQueue } from "../../js/queue.js";
import { colorOf, hexToRGB, nameProblem, nextStructure, recolor } from "../../js/structures.js";

test("the next structure wraps around; from an unknown one it is the first", () => {
  const names = ["liver", "kidney", "spleen"];
  assert.equal(nextStructure(names, "liver"), "kidney");
  assert.equal(nextStructure(names, "spleen"), "liver");
  assert.equal(nextStructure(names, "new"), "liver");
  assert.equal(nextStructure(["one"], "one"), "one");
});

test("a structure's colour is the one at its position; a missing one has a fallback", () => {
  assert.equal(colorOf(["a", "b"], ["#000000", "#00ff00"], "b"), "#00ff00");
  assert.equal(colorOf(["a", "b"], ["#000000"], "b"), "#ffaa00");
  assert.deepEqual(hexToRGB("#ffaa00"), [255, 170, 0]);
  assert.deepEqual(hexToRGB("#0a0b0c"), [10, 11, 12]);
});

test("recolouring changes one position and fills any gap", () => {
  assert.deepEqual(recolor(["#111111", "#222222"], 1, "#333333"), ["#111111", "#333333"]);
  assert.deepEqual(recolor(["#111111"], 2, "#333333"), ["#111111", "#ffaa00", "#333333"]);
});

test("a new name must be there and not taken", () => {
  assert.equal(nameProblem("", ["a"]), "type a name");
  assert.equal(nameProblem("a", ["a"]), "there is already a structure named a");
  assert.equal(nameProblem("b", ["a"]), "");
});

test("structure switches waiting in a row collapse, and the latest is known", () => {
  const q = new ActionQueue();
  q.push({ kind: "structure", name: "b" });
  q.take();
  assert.equal(q.latest("structure").name, "b"); // in flight
  q.push({ kind: "structure", name: "c" });
  q.push({ kind: "structure", name: "a" });
  assert.deepEqual(q.pending, [{ kind: "structure", name: "a" }]);
  assert.equal(q.latest("structure").name, "a");
  assert.equal(q.latest("navigate"), undefined);
  q.push({ kind: "click", x: 1, y: 1, positive: true });
  assert.deepEqual(q.optimistic(), []); // clicks after a switch land on the other structure
});

test("the model line: name, device and size", () => {
  assert.equal(modelLine({ name: "built-in", device: "cpu", parameters: 298529, adapts: false }), "built-in · cpu · 0.3 M parameters");
  assert.equal(modelLine({ name: "official v1", device: "cuda", parameters: 22_900_000 }), "official v1 · cuda · 22.9 M parameters");
  assert.equal(modelLine({ name: "custom", device: "cpu", parameters: 26699 }), "custom · cpu · 26.7 k parameters");
});
