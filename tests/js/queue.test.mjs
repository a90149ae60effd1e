import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_ACTIONS, MAX_STROKE_POINTS } from "../../js/generated/protocol.js";
import { ActionQueue, MAX_MESSAGE, readOnly } from "../../js/queue.js";

const click = (x) => ({ kind: "click", x, y: 0, positive: true });

test("one request in flight; what comes meanwhile leaves as one batch", () => {
  const q = new ActionQueue(100);
  q.push(click(1), 5);
  const first = q.take();
  assert.equal(first.id, 101);
  assert.equal(first.since, 5);
  for (let x = 2; x < 50; x++) q.push(click(x), x);
  assert.equal(q.take(), null);
  assert.equal(q.size, 49);
  assert.equal(q.ack(999), null); // another view's request
  assert.equal(q.ack(101), first);
  const second = q.take();
  assert.equal(second.actions.length, 48);
  assert.equal(second.since, 2);
  assert.equal(q.ack(102), second);
  assert.equal(q.take(), null);
  assert.equal(q.size, 0);
});

test("navigations and boxes waiting in a row collapse: latest wins", () => {
  const q = new ActionQueue();
  q.push({ kind: "navigate", index: null, by: 1 });
  q.push({ kind: "navigate", index: null, by: 1 });
  q.push({ kind: "navigate", index: null, by: -3 });
  assert.deepEqual(q.pending, [{ kind: "navigate", index: null, by: -1 }]);
  q.push({ kind: "navigate", index: 4, by: 0 });
  q.push({ kind: "navigate", index: null, by: 1 });
  assert.deepEqual(q.pending, [{ kind: "navigate", index: 4, by: 1 }]);
  q.push({ kind: "box", box: [0, 0, 2, 2] });
  q.push({ kind: "box", box: [1, 1, 5, 5] });
  assert.deepEqual(q.pending.at(-1), { kind: "box", box: [1, 1, 5, 5] });
  assert.equal(q.pending.length, 2);
});

test("undo drops a waiting interaction without a round trip; redo brings it back", () => {
  const q = new ActionQueue();
  q.push(click(1));
  q.take(); // in flight: cannot be taken back locally
  q.push(click(2));
  q.push({ kind: "scribble", points: [[0, 0]], positive: true, width: 3 });
  q.push({ kind: "undo" });
  q.push({ kind: "undo" });
  assert.equal(q.pending.length, 0);
  q.push({ kind: "redo" });
  assert.deepEqual(q.pending, [click(2)]);
  q.push({ kind: "undo" });
  q.push({ kind: "undo" }); // nothing waiting: this one goes to the kernel
  assert.deepEqual(q.pending, [{ kind: "undo" }]);
  q.push({ kind: "redo" }); // the kernel's redo now: the local one was forgotten
  assert.deepEqual(q.pending.at(-1), { kind: "redo" });
});

test("optimistic interactions stop at the first action that changes the image shown", () => {
  const q = new ActionQueue();
  q.push(click(1));
  q.take();
  q.push(click(2));
  q.push({ kind: "accept" });
  q.push(click(3));
  assert.deepEqual(q.optimistic(), [click(1), click(2)]);
});

test("an erase leaves first in its batch: nothing before it may change the log it names", () => {
  const q = new ActionQueue();
  const erase = { kind: "erase", path: [[1, 1]], radius: 1 };
  q.push(click(1), 1);
  q.take();
  q.push(click(2), 2);
  q.push(erase, 3);
  q.push(click(3), 4);
  q.push(erase, 5);
  q.ack(1);
  assert.deepEqual(q.take().actions, [click(2)]);
  q.ack(2);
  const second = q.take();
  assert.deepEqual(second.actions, [erase, click(3)]);
  assert.equal(second.since, 2); // its actions waited at least since the first one left behind
  q.ack(3);
  assert.deepEqual(q.take().actions, [erase]);
  assert.equal(q.size, 1);
  assert.equal(q.pendingSince, null);
});

test("a request for thumbnails leaves with the batch but never hides the clicks after it", () => {
  const q = new ActionQueue();
  q.push(click(1));
  q.take();
  q.push({ kind: "thumbnails", indices: [0, 3] });
  q.push(click(2));
  assert.deepEqual(q.optimistic(), [click(1), click(2)]);
  assert.deepEqual(q.pending.map((a) => a.kind), ["thumbnails", "click"]);
});

test("a batch that only asks for thumbnails is read only", () => {
  assert.equal(readOnly({ id: 1, actions: [{ kind: "thumbnails", indices: [1] }], since: 0 }), true);
  assert.equal(readOnly({ id: 2, actions: [{ kind: "thumbnails", indices: [1] }, click(1)], since: 0 }), false);
});

test("a long queue leaves in batches within the kernel's limits on actions and characters", () => {
  const q = new ActionQueue();
  for (let k = 0; k < MAX_ACTIONS + 5; k++) q.push({ kind: "undo" });
  assert.deepEqual([q.take(), q.ack(1), q.take()].filter(Boolean).map((b) => b.actions.length), [MAX_ACTIONS, MAX_ACTIONS, 5]);
  q.ack(2);
  // strokes of the most points: as many as fit in MAX_MESSAGE characters, and one at least
  const points = Array.from({ length: MAX_STROKE_POINTS }, (_, i) => [i / 3, 2 + i / 7]);
  const stroke = { kind: "paint", points, positive: true, width: 3 };
  for (let k = 0; k < 6; k++) q.push(stroke);
  const sizes = [];
  for (let batch = q.take(); batch; q.ack(batch.id), batch = q.take()) {
    sizes.push(batch.actions.length);
    assert.ok(batch.actions.length === 1 || JSON.stringify(batch.actions).length <= MAX_MESSAGE);
  }
  assert.equal(sizes.reduce((a, b) => a + b), 6);
  assert.ok(sizes.length > 1 && sizes.every((n) => n >= 1), `${sizes}`);
});
