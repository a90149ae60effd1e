import assert from "node:assert/strict";
import { test } from "node:test";
import {
  BIN, CELL, GAP, binAt, binTitle, cellKind, confidenceAt, contextSet, countBins, firstOpen, imageState,
  readProgress, statusOf, stripLayout,
} from "../../js/progress.js";
import { bandColor, binBars } from "../../js/strip.js";
import { keep, thumbnailRequests } from "../../js/gallery.js";
import { MAX_THUMBNAILS, STATUSES } from "../../js/generated/protocol.js";

const TODO = 0, BUSY = 1, DONE = 2;

/** A model holding these traits, as the kernel's codec sends them. */
function model(codes, confidence = [], gallery = []) {
  const enc = (Typed, dtype, values) => {
    const data = new Typed(values);
    return { shape: [data.length], dtype, data: new DataView(data.buffer) };
  };
  const traits = {
    progress: enc(Uint8Array, "uint8", codes),
    confidence: enc(Float32Array, "float32", confidence),
    gallery: gallery.map((index) => ({ index, name: `image_${index}`, key: index + 1 })),
  };
  return { get: (name) => traits[name] };
}

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

test("the kernel's arrays are read once per change: statuses, confidence (NaN: none), accepted count", () => {
  const m = model([TODO, BUSY, DONE, DONE], [NaN, 0.25, NaN, 0.5]);
  const p = readProgress(m);
  assert.equal(readProgress(m).codes, p.codes); // the same trait: decoded once
  assert.equal(p.accepted, 2);
  assert.deepEqual([0, 1, 2, 3, 9].map((i) => statusOf(p, i)), ["todo", "in progress", "accepted", "accepted", "todo"]);
  assert.deepEqual([0, 1, 3].map((i) => confidenceAt(p, i)), [null, 0.25, 0.5]);
  assert.equal(confidenceAt(readProgress(model([TODO])), 0), null); // no propagation: empty
  assert.deepEqual(STATUSES, ["todo", "in progress", "accepted"]);
  const gallery = m.get("gallery");
  assert.equal(contextSet(gallery), contextSet(gallery));
});

test("a cell per image while the cells fit, else bins of consecutive images at BIN px", () => {
  assert.deepEqual(stripLayout(6, 300), { cells: true, per: 1, bins: 6 });
  const fits = Math.floor((300 + GAP) / (CELL + GAP));
  assert.equal(stripLayout(fits, 300).cells, true);
  assert.equal(stripLayout(fits + 1, 300).cells, false);
  assert.deepEqual(stripLayout(100_000, 800), { cells: false, per: 250, bins: 400 });
  assert.deepEqual(stripLayout(1001, 800), { cells: false, per: 3, bins: 334 });
  const { per, bins } = stripLayout(100_000, 777);
  assert.ok(bins * BIN <= 777 && per * bins >= 100_000 && per * (bins - 1) < 100_000);
  assert.deepEqual(stripLayout(5, 0), { cells: false, per: 5, bins: 1 }); // not laid out yet
});

test("a bin counts its images' states, in context apart from accepted, and their mean confidence", () => {
  const p = readProgress(model([DONE, DONE, BUSY, TODO, TODO, DONE, TODO], [NaN, NaN, 0.2, 0.4, NaN, NaN, 0.9]));
  const bins = countBins(p, new Set([1, 5, 3]), 3); // image 3 (todo) in the gallery: not accepted
  assert.deepEqual(bins.map((b) => [b.start, b.end, b.todo, b.inProgress, b.accepted, b.inContext, b.known]), [
    [0, 3, 0, 1, 1, 1, 1],
    [3, 6, 2, 0, 0, 1, 1],
    [6, 7, 1, 0, 0, 0, 1],
  ]);
  assert.equal(bins[0].confidence, Math.fround(0.2));
  const none = countBins(readProgress(model([TODO, TODO])), new Set(), 1);
  assert.deepEqual(none.map((b) => b.confidence), [null, null]);
  assert.equal(countBins(readProgress(model(new Array(100_000).fill(TODO))), new Set(), 250).length, 400);
});

test("hovering a bin names its images and their counts", () => {
  const bin = { start: 250, end: 500, todo: 240, inProgress: 5, accepted: 3, inContext: 2, known: 100, confidence: 0.734 };
  assert.equal(binTitle(bin), "images 251–500: 2 in context, 3 accepted, 5 in progress, 240 new · 100 propagated, mean confidence 73%");
  const one = { start: 6, end: 7, todo: 1, inProgress: 0, accepted: 0, inContext: 0, known: 0, confidence: null };
  assert.equal(binTitle(one), "image 7: 1 new");
});

test("a click on a bin opens its first open image, else its first; x px finds the bin", () => {
  const p = readProgress(model([DONE, DONE, BUSY, DONE, DONE, DONE]));
  assert.equal(firstOpen(p, { start: 0, end: 3 }), 2);
  assert.equal(firstOpen(p, { start: 3, end: 6 }), 3);
  assert.deepEqual([0, 1.9, 2, 399.9, 400, -5].map((x) => binAt(x, 400, 200)), [0, 0, 1, 199, 199, 0]);
});

test("a bin's bar: its states' shares of 12 px, each present one at least 2 px tall", () => {
  const bin = (inContext, accepted, inProgress, todo) => ({ start: 0, end: inContext + accepted + inProgress + todo, todo, inProgress, accepted, inContext, known: 0, confidence: null });
  assert.deepEqual(binBars(bin(0, 0, 0, 250)), []);
  assert.deepEqual(binBars(bin(1, 0, 0, 249)), [{ part: "inContext", y: 10, height: 2 }]);
  assert.deepEqual(binBars(bin(2, 1, 1, 0)), [
    { part: "inContext", y: 6, height: 6 }, { part: "accepted", y: 3, height: 3 }, { part: "inProgress", y: 0, height: 3 },
  ]);
  const full = binBars(bin(248, 1, 1, 0)); // the tallest gives way: still 12 px in all
  assert.deepEqual(full.map((b) => b.part), ["inContext", "accepted", "inProgress"]);
  assert.equal(full.at(-1).y, 0);
  assert.deepEqual(full.slice(1).map((b) => b.height), [2, 2]);
});

test("the confidence band goes from red (unsure) to blue (sure)", () => {
  assert.equal(bandColor(0), "rgb(217, 83, 79)");
  assert.equal(bandColor(1), "rgb(74, 144, 217)");
});

test("the gallery asks once for the thumbnails in view it lacks, at most MAX_THUMBNAILS an action", () => {
  const entry = (index) => ({ index, name: `n${index}`, key: 100 + index });
  const held = new Map([[101, { key: 101, index: 1 }]]);
  const asked = new Set([102]);
  const seen = Array.from({ length: MAX_THUMBNAILS + 5 }, (_, i) => entry(i));
  const actions = thumbnailRequests(seen, held, asked);
  assert.deepEqual(actions.map((a) => a.indices.length), [MAX_THUMBNAILS, 3]);
  assert.deepEqual(actions[0].indices.slice(0, 3), [0, 3, 4]);
  assert.equal(asked.size, MAX_THUMBNAILS + 4);
  assert.deepEqual(thumbnailRequests(seen, held, asked), []); // asked already
});

test("the thumbnails kept are the most recently received or used", () => {
  const held = new Map();
  keep(held, [1, 2, 3].map((key) => ({ key })), 3);
  keep(held, [{ key: 1 }, { key: 4 }], 3);
  assert.deepEqual([...held.keys()], [3, 1, 4]);
});
