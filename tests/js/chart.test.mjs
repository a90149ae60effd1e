import assert from "node:assert/strict";
import { test } from "node:test";
import { CHART, PLOT, chartLayout, niceStep } from "../../js/chart.js";

const BOTTOM = CHART.height - PLOT.bottom;
const PLOT_HEIGHT = BOTTOM - PLOT.top;

test("the axis steps are 1, 2 or 5 times a power of ten", () => {
  assert.deepEqual([1, 3, 4, 6, 7, 12, 40, 250].map((n) => niceStep(n, 3)), [1, 1, 2, 2, 5, 5, 20, 100]);
  assert.equal(niceStep(0.3, 1), 1);
});

test("the prompts axis: from 0 to a round number at or above the most prompts, with its ticks", () => {
  assert.deepEqual(chartLayout([4, 2, 0]).ticks.map((t) => t.value), [0, 2, 4]);
  assert.deepEqual(chartLayout([7]).ticks.map((t) => t.value), [0, 5, 10]);
  assert.deepEqual(chartLayout([]).ticks.map((t) => t.value), [0, 1]); // nothing accepted: axes still
  const { ticks } = chartLayout([3, 1]);
  assert.deepEqual(ticks.map((t) => t.y), [0, 1, 2, 3].map((k) => BOTTOM - (k / 3) * PLOT_HEIGHT));
});

test("one bar per accepted image, in order, as tall as its prompts on the axis, its count above it", () => {
  const { bars, labels } = chartLayout([4, 2, 0]);
  assert.deepEqual(bars.map((b) => [b.image, b.prompts, b.h]), [[1, 4, PLOT_HEIGHT], [2, 2, PLOT_HEIGHT / 2], [3, 0, 1]]);
  assert.ok(bars.every((b) => b.y + b.h === BOTTOM && b.counted && b.w === 20)); // on the axis, at most 20 px wide
  assert.ok(bars[1].x > bars[0].x + bars[0].w && bars[2].x > bars[1].x + bars[1].w); // apart, in order
  assert.deepEqual(labels.map((l) => l.value), [1, 2, 3]);
  assert.equal(bars[1].title, "accepted image 2: 2 prompts");
  assert.equal(chartLayout([1]).bars[0].title, "accepted image 1: 1 prompt");
});

test("many images: thin bars inside the chart, no counts above them, every 5th or 10th numbered", () => {
  const counts = Array.from({ length: 120 }, (_, k) => 1 + (k % 7));
  const { bars, labels } = chartLayout(counts);
  assert.ok(bars.every((b) => !b.counted && b.w >= 1));
  assert.ok(bars.at(-1).x + bars.at(-1).w <= CHART.width - PLOT.right + 1e-9);
  const values = labels.map((l) => l.value);
  assert.equal(values[0], 1);
  const gaps = labels.slice(1).map((l, k) => l.x - labels[k].x);
  assert.ok(Math.min(...gaps) >= 12, `labels ${Math.min(...gaps)} px apart`);
  assert.ok(values.slice(1).every((v) => v % 10 === 0));
});
