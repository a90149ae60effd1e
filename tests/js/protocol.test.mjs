import assert from "node:assert/strict";
import { test } from "node:test";
import { toWire } from "../../js/protocol.js";

const log = [
  { kind: "click", x: 1, y: 1, positive: true },
  { kind: "scribble", points: [[0, 10], [20, 10]], positive: true, width: 2 },
  { kind: "scribble", points: [[0, 30], [20, 30]], positive: false, width: 2 },
  { kind: "scribble", points: [[5, 12], [5, 28]], positive: true, width: 2 },
];

test("an eraser path leaves as the log positions it hits, with the log's version", () => {
  const queued = [{ kind: "erase", path: [[10, 11], [10, 12]], radius: 1 }, { kind: "undo" }];
  assert.deepEqual(toWire(queued, log, 7), [
    { kind: "erase", positions: [1], version: 7 },
    { kind: "undo" },
  ]);
  const across = [{ kind: "erase", path: [[4, 20], [6, 20], [5, 30]], radius: 1 }];
  assert.deepEqual(toWire(across, log, 8), [{ kind: "erase", positions: [2, 3], version: 8 }]);
});

test("an eraser path that hits nothing any more is dropped; other actions pass as they are", () => {
  const click = { kind: "click", x: 3, y: 4, positive: false };
  const queued = [{ kind: "erase", path: [[50, 50]], radius: 2 }, click];
  assert.deepEqual(toWire(queued, log, 1), [click]);
  assert.deepEqual(toWire(queued, [], 1), [click]);
});
