// @ts-check
// The context gallery, loaded lazily: the kernel syncs each context image's index, name and
// thumbnail key only; the items that scroll into view (an IntersectionObserver on the gallery's
// own scrolling row, with a margin to load a little ahead) ask for their thumbnails with a
// {kind: "thumbnails"} action, and the kernel answers in the `thumbnails` trait. Thumbnails are
// kept here by key (a key names one structure's image with one accepted mask, so a kept one is
// current), the least recently used dropped past HELD.

import { h } from "./dom.js";
import { thumbnail } from "./drawing.js";
import { MAX_THUMBNAILS } from "./generated/protocol.js";
import { colorOf, hexToRGB } from "./structures.js";

/** @import { GalleryEntry, Model, Queued, Thumbnail } from "./protocol.js" */

const HELD = 512; // thumbnails kept in the browser (a few kB each)

/**
 * The actions that ask for the thumbnails of `seen` (items in view) not held nor asked for yet,
 * at most MAX_THUMBNAILS indices each (the kernel's limit); the keys asked for join `asked`.
 * @param {GalleryEntry[]} seen
 * @param {Map<number, Thumbnail>} held
 * @param {Set<number>} asked
 * @returns {Queued[]}
 */
export function thumbnailRequests(seen, held, asked) {
  const indices = [];
  for (const item of seen) {
    if (held.has(item.key) || asked.has(item.key)) continue;
    asked.add(item.key);
    indices.push(item.index);
  }
  /** @type {Queued[]} */
  const out = [];
  for (let k = 0; k < indices.length; k += MAX_THUMBNAILS) out.push({ kind: "thumbnails", indices: indices.slice(k, k + MAX_THUMBNAILS) });
  return out;
}

/**
 * Keep `items` in `held` (most recent last), dropping the least recently used past `limit`.
 * @param {Map<number, Thumbnail>} held
 * @param {Thumbnail[]} items
 * @param {number} limit
 */
export function keep(held, items, limit = HELD) {
  for (const item of items) {
    held.delete(item.key);
    held.set(item.key, item);
  }
  for (const key of held.keys()) {
    if (held.size <= limit) break;
    held.delete(key);
  }
}

/**
 * What the gallery asks of the rest of the widget: queue an action, open an image, take an
 * image out of the context set (its index and entry).
 * @typedef {{send: (action: Queued) => void, open: (index: number) => void,
 *   remove: (index: number, entry: number) => void}} GalleryCallbacks
 */

/**
 * The gallery's title and row.
 * @param {Model} model
 * @param {GalleryCallbacks} on
 */
export function createGallery(model, on) {
  const title = h("div", { className: "mvw-label" });
  const row = h("div", { className: "mvw-gallery" });
  /** @type {Map<number, Thumbnail>} */
  const held = new Map();
  /** @type {Set<number>} keys asked for and not answered yet */
  const asked = new Set();
  /** @type {Map<Element, {item: GalleryEntry, picture: HTMLElement}>} items waiting for their thumbnail */
  const waiting = new Map();
  const observer = new IntersectionObserver((entries) => {
    const seen = entries.filter((e) => e.isIntersecting).flatMap((e) => waiting.get(e.target)?.item ?? []);
    for (const action of thumbnailRequests(seen, held, asked)) on.send(action);
  }, { root: row, rootMargin: "0px 256px" });

  /** The structure's colour, which the thumbnails' masks are drawn in. */
  function color() {
    return hexToRGB(colorOf(model.get("structures"), model.get("colors"), model.get("structure")));
  }

  /** The context set's items: a thumbnail where it is held, else a placeholder that asks. */
  function render() {
    const items = model.get("gallery");
    const rgb = color();
    title.textContent =
      `Context set of ${model.get("structure")} (${items.length})${items.length ? "" : ": accept an image to add it"}`;
    observer.disconnect();
    waiting.clear();
    row.replaceChildren(
      ...items.map((item, k) => {
        const kept = held.get(item.key);
        if (kept) keep(held, [kept]); // used: kept longer
        const picture = h("div", { className: "mvw-picture", onclick: () => on.open(item.index) }, kept ? [thumbnail(kept, rgb)] : []);
        const thumb = h("div", { className: "mvw-thumb", title: item.name }, [
          picture,
          h("span", { className: "mvw-label", textContent: `#${item.index + 1}` }),
          h("button", {
            className: "mvw-remove", textContent: "×", title: "remove from the context set",
            onclick: () => on.remove(item.index, k),
          }),
        ]);
        thumb.dataset.index = String(item.index);
        if (!kept) {
          picture.classList.add("mvw-waiting");
          waiting.set(thumb, { item, picture });
          observer.observe(thumb);
        }
        return thumb;
      }),
    );
    markCurrent();
  }

  /** The kernel's answer: keep the thumbnails and draw those waiting for them. */
  function receive() {
    const items = model.get("thumbnails").items ?? [];
    keep(held, items);
    const rgb = color();
    for (const item of items) asked.delete(item.key);
    for (const [thumb, { item, picture }] of waiting) {
      const kept = held.get(item.key);
      if (!kept) continue;
      picture.classList.remove("mvw-waiting");
      picture.replaceChildren(thumbnail(kept, rgb));
      waiting.delete(thumb);
      observer.unobserve(thumb);
    }
  }

  /**
   * A request was answered: after an error (the batch may have ended before its thumbnails were
   * made) the items still waiting ask again.
   * @param {string} error
   */
  function answered(error) {
    if (!error) return;
    asked.clear();
    for (const thumb of waiting.keys()) {
      observer.unobserve(thumb);
      observer.observe(thumb);
    }
  }

  /** Outline the image shown, if it is in the context set, and mark the context images its
   * prediction used (``context_used``: with many, only the most like it are). */
  function markCurrent() {
    const current = String(model.get("index"));
    const used = new Set(model.get("context_used").map(String));
    for (const thumb of row.children) {
      if (!(thumb instanceof HTMLElement)) continue;
      thumb.classList.toggle("mvw-current", thumb.dataset.index === current);
      thumb.classList.toggle("mvw-used", used.has(thumb.dataset.index ?? ""));
    }
  }

  return { title, row, render, receive, answered, markCurrent, dispose: () => observer.disconnect() };
}
