// @ts-check
// Requests to the kernel: at most one in flight; everything the user does meanwhile waits here and
// leaves as one batch when the kernel answers. Latest wins: consecutive navigations, structure
// switches and boxes collapse into one, and undoing an action that has not left yet just drops it
// (no round trip). A long queue leaves in several batches, each within the kernel's limits.

import { MAX_ACTIONS, MAX_MESSAGE as KERNEL_MAX_MESSAGE, READ_ONLY_KINDS } from "./generated/protocol.js";
import { TOOLS } from "./tools.js";

/** @import { Queued } from "./protocol.js" */

/**
 * A request: its id, its actions, and since when its first action waited.
 * @typedef {{id: number, actions: Queued[], since: number | null}} Batch
 */

/** Actions that change the current image's interactions: what the tools send. @type {Set<string>} */
export const INTERACTIONS = new Set(TOOLS.map((tool) => tool.sends));
/**
 * Most characters of JSON one batch carries: half the kernel's MAX_MESSAGE, whose count of a
 * message differs a little from JSON.stringify's. One action always leaves.
 */
export const MAX_MESSAGE = KERNEL_MAX_MESSAGE / 2;
/** Actions that only ask the kernel for something (the gallery's thumbnails). @type {Set<string>} */
const READ_ONLY = new Set(READ_ONLY_KINDS);

/**
 * Whether a batch only asked for something: its answer keeps the status and error lines.
 * @param {Batch} batch
 */
export function readOnly(batch) {
  return batch.actions.every((a) => READ_ONLY.has(a.kind));
}

/**
 * How many of the waiting actions leave in the next batch: up to MAX_ACTIONS of them (the kernel's) and
 * MAX_MESSAGE characters (the first one whatever its size), and none from an erase after the
 * first on.
 * @param {Queued[]} pending
 */
function batchLength(pending) {
  let size = 0;
  for (let i = 0; i < pending.length; i++) {
    size += JSON.stringify(pending[i]).length + 1;
    if (i > 0 && (i >= MAX_ACTIONS || size > MAX_MESSAGE || pending[i].kind === "erase")) return i;
  }
  return pending.length;
}

export class ActionQueue {
  /** @param {number} idBase request ids start above it, so that several views of one widget never collide */
  constructor(idBase = 0) {
    /** @type {Queued[]} */
    this.pending = [];
    /** @type {number | null} */
    this.pendingSince = null;
    /** @type {Batch | null} */
    this.inFlight = null;
    /** @type {Queued[]} */
    this.cancelled = [];
    this.nextId = idBase + 1;
  }

  /** Actions not yet answered by the kernel (in flight and waiting). */
  get size() {
    return this.pending.length + (this.inFlight ? this.inFlight.actions.length : 0);
  }

  /**
   * @param {Queued} action
   * @param {number} now
   */
  push(action, now = 0) {
    const last = this.pending[this.pending.length - 1];
    if (action.kind === "undo" && last && INTERACTIONS.has(last.kind)) {
      this.cancelled.push(/** @type {Queued} */ (this.pending.pop()));
      if (!this.pending.length) this.pendingSince = null;
      return;
    }
    if (action.kind === "redo" && this.cancelled.length) {
      this._add(/** @type {Queued} */ (this.cancelled.pop()), now);
      return;
    }
    this.cancelled = [];
    if (action.kind === "navigate" && last?.kind === "navigate") {
      const index = action.index ?? last.index;
      const by = action.index == null ? last.by + action.by : action.by;
      this.pending[this.pending.length - 1] = { kind: "navigate", index, by };
      return;
    }
    if ((action.kind === "box" || action.kind === "structure") && last?.kind === action.kind) {
      this.pending[this.pending.length - 1] = action;
      return;
    }
    this._add(action, now);
  }

  /**
   * @param {Queued} action
   * @param {number} now
   */
  _add(action, now) {
    if (!this.pending.length) this.pendingSince = now;
    this.pending.push(action);
  }

  /**
   * The next batch to send, or null while one is in flight or nothing waits. An erase leaves
   * first in its batch: its positions are read in the log the kernel sent last, which nothing
   * before it in the batch may change.
   */
  take() {
    if (this.inFlight || !this.pending.length) return null;
    const cut = batchLength(this.pending);
    this.inFlight = { id: this.nextId++, actions: this.pending.slice(0, cut), since: this.pendingSince };
    this.pending = this.pending.slice(cut);
    if (!this.pending.length) this.pendingSince = null;
    return this.inFlight;
  }

  /**
   * The kernel answered request id: returns the finished batch (null if it was not ours).
   * @param {number} id
   */
  ack(id) {
    if (!this.inFlight || this.inFlight.id !== id) return null;
    const done = this.inFlight;
    this.inFlight = null;
    return done;
  }

  /**
   * The last action of this kind in flight or waiting: what the kernel will have done last.
   * @template {Queued["kind"]} K
   * @param {K} kind
   */
  latest(kind) {
    const all = [...(this.inFlight ? this.inFlight.actions : []), ...this.pending];
    return /** @type {Extract<Queued, {kind: K}> | undefined} */ (all.findLast((a) => a.kind === kind));
  }

  /**
   * Interactions sent or waiting that will land on the image shown now (those before the first
   * navigation, accept, undo or clear; a request for thumbnails changes nothing): drawn at once,
   * before the kernel confirms them.
   */
  optimistic() {
    const all = [...(this.inFlight ? this.inFlight.actions : []), ...this.pending].filter((a) => !READ_ONLY.has(a.kind));
    const stop = all.findIndex((a) => !INTERACTIONS.has(a.kind));
    return stop < 0 ? all : all.slice(0, stop);
  }
}
