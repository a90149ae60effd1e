// @ts-check
// The dataset's progress at any size: the kernel's status codes and propagated confidences
// (binary arrays, multiverseg_widget/widget/progress.py), decoded once per change, and their
// summary in bins of consecutive images when the strip has room for fewer cells than images.
// Pure: the strip (strip.js) and the status line (panels.js) draw what these return.

import { decodeArray } from "./codec.js";
import { STATUSES } from "./generated/protocol.js";

/** @import { Status } from "./generated/protocol.js" */
/** @import { EncodedArray, GalleryEntry, Model } from "./protocol.js" */

const ACCEPTED = STATUSES.indexOf("accepted");
export const CELL = 4; // px: an image's own cell at its narrowest (the strip's cells, widget.css)
export const GAP = 1; // px between two cells
export const BIN = 2; // px: a bin at its narrowest

/**
 * Every image's status code and confidence (NaN: none; empty: no propagation), and how many
 * images are accepted.
 * @typedef {{codes: Uint8Array, confidence: Float32Array, accepted: number}} Progress
 */
/**
 * A run of consecutive images, start to end (exclusive), and how many of them are in each state
 * (accepted: accepted but not in the context set); known: how many have a propagated confidence,
 * confidence: their mean (null: none has one).
 * @typedef {{start: number, end: number, todo: number, inProgress: number, accepted: number,
 *   inContext: number, known: number, confidence: number | null}} Bin
 */
/**
 * How the strip shows `count` images: one cell per image, or bins of `per` images.
 * @typedef {{cells: boolean, per: number, bins: number}} StripLayout
 */

/** @type {WeakMap<EncodedArray, Uint8Array>} */
const codesOf = new WeakMap();
/** @type {WeakMap<EncodedArray, Float32Array>} */
const confidenceOf = new WeakMap();
/** @type {WeakMap<Uint8Array, number>} */
const acceptedOf = new WeakMap();
/** @type {WeakMap<GalleryEntry[], Set<number>>} */
const contextOf = new WeakMap();

/**
 * @template {Uint8Array | Float32Array} T
 * @param {WeakMap<EncodedArray, T>} cache
 * @param {EncodedArray} encoded
 * @param {T} empty
 * @returns {T}
 */
function decoded(cache, encoded, empty) {
  if (!encoded?.dtype) return empty;
  let data = cache.get(encoded);
  if (!data) {
    data = /** @type {T} */ (decodeArray(encoded).data);
    cache.set(encoded, data);
  }
  return data;
}

/**
 * The progress the kernel sent last (decoded once per change).
 * @param {Model} model
 * @returns {Progress}
 */
export function readProgress(model) {
  const codes = decoded(codesOf, model.get("progress"), new Uint8Array(0));
  const confidence = decoded(confidenceOf, model.get("confidence"), new Float32Array(0));
  let accepted = acceptedOf.get(codes);
  if (accepted === undefined) {
    accepted = 0;
    for (const c of codes) accepted += c === ACCEPTED ? 1 : 0;
    acceptedOf.set(codes, accepted);
  }
  return { codes, confidence, accepted };
}

/**
 * The indices of the context set (the gallery's), as a set (made once per gallery sent).
 * @param {GalleryEntry[]} gallery
 */
export function contextSet(gallery) {
  let set = contextOf.get(gallery);
  if (!set) {
    set = new Set(gallery.map((item) => item.index));
    contextOf.set(gallery, set);
  }
  return set;
}

/**
 * Image i's status ("todo" past the end: a trait not yet sent).
 * @param {Progress} progress
 * @param {number} i
 * @returns {Status}
 */
export function statusOf(progress, i) {
  return STATUSES[progress.codes[i] ?? 0];
}

/**
 * Image i's confidence in the last propagation, null where it has none.
 * @param {Progress} progress
 * @param {number} i
 */
export function confidenceAt(progress, i) {
  const c = progress.confidence[i];
  return c === undefined || Number.isNaN(c) ? null : c;
}

/**
 * What the status line says of an image: new, in progress, accepted, or in context (accepted
 * and in the structure's context set); then the last propagation's confidence, if it has one.
 * @param {Status} status
 * @param {boolean} inContext
 * @param {number | null} confidence
 */
export function imageState(status, inContext, confidence) {
  const base = status === "todo" ? "new" : status === "accepted" && inContext ? "in context" : status;
  return confidence === null ? base : `${base} · propagated, confidence ${Math.round(confidence * 100)}%`;
}

/**
 * A progress cell's kind: todo, in-progress, accepted (not in the context set) or in-context.
 * @param {Status} status
 * @param {boolean} inContext
 */
export function cellKind(status, inContext) {
  return status === "accepted" && inContext ? "in-context" : status.replace(" ", "-");
}

/**
 * The strip's layout for `count` images in `width` px: a cell per image while they fit (CELL px
 * each, GAP between), else bins of `per` consecutive images, as many as fit at BIN px each
 * (the last bin may hold fewer).
 * @param {number} count
 * @param {number} width
 * @returns {StripLayout}
 */
export function stripLayout(count, width) {
  if (count * (CELL + GAP) - GAP <= width) return { cells: true, per: 1, bins: count };
  const per = Math.ceil(count / Math.max(1, Math.floor(width / BIN)));
  return { cells: false, per, bins: Math.ceil(count / per) };
}

/**
 * The bins of `per` consecutive images: how many of each are in each state, and their mean
 * propagated confidence. One pass over the images.
 * @param {Progress} progress
 * @param {Set<number>} context the context set's indices
 * @param {number} per
 * @returns {Bin[]}
 */
export function countBins({ codes, confidence }, context, per) {
  const n = codes.length;
  const bins = Math.ceil(n / per);
  const tally = new Uint32Array(bins * 4); // todo, in progress, accepted, in context
  const known = new Uint32Array(bins);
  const sum = new Float64Array(bins);
  for (let i = 0; i < n; i++) tally[Math.floor(i / per) * 4 + codes[i]]++;
  for (let i = 0; i < confidence.length && i < n; i++) {
    const c = confidence[i];
    if (!Number.isNaN(c)) {
      const b = Math.floor(i / per);
      known[b]++;
      sum[b] += c;
    }
  }
  for (const i of context) {
    if (codes[i] !== ACCEPTED) continue;
    const b = Math.floor(i / per);
    tally[b * 4 + ACCEPTED]--;
    tally[b * 4 + 3]++;
  }
  return Array.from({ length: bins }, (_, b) => ({
    start: b * per,
    end: Math.min(n, (b + 1) * per),
    todo: tally[b * 4],
    inProgress: tally[b * 4 + 1],
    accepted: tally[b * 4 + 2],
    inContext: tally[b * 4 + 3],
    known: known[b],
    confidence: known[b] ? sum[b] / known[b] : null,
  }));
}

/**
 * What hovering a bin says: the images it covers and how many are in each state.
 * @param {Bin} bin
 */
export function binTitle(bin) {
  const range = bin.end - bin.start === 1 ? `image ${bin.start + 1}` : `images ${bin.start + 1}–${bin.end}`;
  /** @type {[number, string][]} */
  const parts = [[bin.inContext, "in context"], [bin.accepted, "accepted"], [bin.inProgress, "in progress"], [bin.todo, "new"]];
  const counts = parts.filter(([n]) => n > 0).map(([n, what]) => `${n} ${what}`).join(", ");
  const confidence = bin.confidence === null ? "" : ` · ${bin.known} propagated, mean confidence ${Math.round(bin.confidence * 100)}%`;
  return `${range}: ${counts}${confidence}`;
}

/**
 * The image a click on the bin opens: its first open one (not accepted), else its first.
 * @param {Progress} progress
 * @param {Bin} bin
 */
export function firstOpen({ codes }, bin) {
  for (let i = bin.start; i < bin.end; i++) if (codes[i] !== ACCEPTED) return i;
  return bin.start;
}

/**
 * The bin under x px of a strip `width` px wide holding `bins` bins.
 * @param {number} x
 * @param {number} width
 * @param {number} bins
 */
export function binAt(x, width, bins) {
  return Math.min(bins - 1, Math.max(0, Math.floor((x / width) * bins)));
}
