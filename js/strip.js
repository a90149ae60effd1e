// @ts-check
// The progress strip and the jump box. While every image fits a cell of its own the strip is a
// row of cells (in context: solid; accepted, not in context: striped; the current image
// outlined); past that, a canvas of bins of consecutive images, each drawn as the shares of its
// states (a state present at all at least 2 px tall), with its images' mean propagated confidence in a band below (unsure: red, sure: blue)
// and the current image's bin outlined. Hovering a bin says which images it covers and their
// counts; clicking it opens its first open image. The jump box opens an image by name or
// number (the kernel looks it up and says so when there is no such image).

import { context2d, h } from "./dom.js";
import {
  binAt, binTitle, cellKind, confidenceAt, contextSet, countBins, firstOpen, imageState, readProgress, statusOf, stripLayout,
} from "./progress.js";

/** @import { Bin, StripLayout } from "./progress.js" */
/** @import { Model, Queued } from "./protocol.js" */

const BAR = 12; // px: the bins' state bar (as tall as a cell)
const BAND = 3; // px: the confidence band under it
const COLORS = { inProgress: "#f0b030", accepted: "rgba(48, 176, 96, 0.45)", inContext: "#30b060" };
const LEAST = 2; // px: a state that some of a bin's images are in shows at least this tall
const UNSURE = [217, 83, 79]; // the band's colour at confidence 0
const SURE = [74, 144, 217]; // at confidence 1
/** @typedef {"inContext" | "accepted" | "inProgress"} Part */
/** The states drawn, bottom up (the rest of the bar is todo). @type {Part[]} */
const PARTS = ["inContext", "accepted", "inProgress"];

/**
 * A bin's bar, bottom up: each state's share of BAR px, at least LEAST px where any image is in
 * it (one accepted image among 250 still shows), the tallest part giving way if they overflow.
 * @param {Bin} bin
 * @returns {{part: Part, y: number, height: number}[]}
 */
export function binBars(bin) {
  const all = bin.end - bin.start;
  const parts = PARTS.filter((part) => bin[part] > 0);
  const heights = parts.map((part) => Math.max(LEAST, (bin[part] / all) * BAR));
  const over = heights.reduce((a, b) => a + b, 0) - BAR;
  if (over > 0) heights[heights.indexOf(Math.max(...heights))] -= over;
  let y = BAR;
  return parts.map((part, k) => {
    y -= heights[k];
    return { part, y, height: heights[k] };
  });
}

/**
 * The band's colour for a mean confidence in [0, 1].
 * @param {number} confidence
 */
export function bandColor(confidence) {
  const mix = UNSURE.map((u, c) => Math.round(u + (SURE[c] - u) * confidence));
  return `rgb(${mix.join(", ")})`;
}

/**
 * The strip, its hover tip and the jump box; `send` queues an action for the kernel.
 * @param {Model} model
 * @param {(action: Queued) => void} send
 */
export function createStrip(model, send) {
  const strip = h("div", { className: "mvw-strip" });
  const tip = h("div", { className: "mvw-strip-tip", role: "tooltip", hidden: true });
  const box = h("div", { className: "mvw-strip-box" }, [strip, tip]);
  const jump = h("input", {
    type: "text", className: "mvw-jump", placeholder: "go to # or name", "aria-label": "go to image (number or name)",
    title: "open an image by its number or its name (enter)",
    onkeydown: (/** @type {KeyboardEvent} */ e) => {
      const to = jump.value.trim();
      if (e.key === "Enter" && to) send({ kind: "jump", to });
    },
  });
  const canvas = h("canvas", { className: "mvw-bins" });
  /** @type {{layout: StripLayout, bins: Bin[], width: number}} what the canvas shows */
  let shown = { layout: { cells: true, per: 1, bins: 0 }, bins: [], width: 0 };
  /** @type {unknown[]} the inputs the bins were counted from */
  let counted = [];

  canvas.addEventListener("mousemove", (e) => {
    const bin = shown.bins[binAt(e.offsetX, shown.width, shown.bins.length)];
    if (!bin) return;
    tip.textContent = binTitle(bin);
    tip.hidden = false;
    const fraction = e.offsetX / shown.width;
    Object.assign(tip.style, { left: `${e.offsetX}px`, transform: `translateX(-${Math.round(fraction * 100)}%)` });
  });
  canvas.addEventListener("mouseleave", () => { tip.hidden = true; });
  canvas.addEventListener("click", (e) => {
    const bin = shown.bins[binAt(e.offsetX, shown.width, shown.bins.length)];
    if (bin) send({ kind: "navigate", index: firstOpen(readProgress(model), bin), by: 0 });
  });
  const resized = new ResizeObserver(() => {
    if (strip.clientWidth !== shown.width) render();
  });
  resized.observe(strip);

  /** Draw the strip for the kernel's progress and the strip's width now. */
  function render() {
    const progress = readProgress(model);
    const context = contextSet(model.get("gallery"));
    const width = strip.clientWidth;
    const layout = stripLayout(progress.codes.length, width);
    shown = { ...shown, layout, width };
    if (layout.cells) {
      renderCells();
      return;
    }
    const inputs = [progress.codes, progress.confidence, context, layout.per];
    if (inputs.some((x, k) => x !== counted[k])) {
      shown.bins = countBins(progress, context, layout.per);
      counted = inputs;
    }
    drawBins(width);
    if (canvas.parentElement !== strip) strip.replaceChildren(canvas);
  }

  function renderCells() {
    const progress = readProgress(model);
    const context = contextSet(model.get("gallery"));
    const current = model.get("index");
    shown.bins = [];
    counted = [];
    strip.replaceChildren(
      ...Array.from(progress.codes, (_, i) => {
        const status = statusOf(progress, i);
        return h("span", {
          className: `mvw-cell mvw-${cellKind(status, context.has(i))}${i === current ? " mvw-current" : ""}`,
          title: `image ${i + 1}: ${imageState(status, context.has(i), confidenceAt(progress, i))}`,
          onclick: () => send({ kind: "navigate", index: i, by: 0 }),
        });
      }),
    );
  }

  /** @param {number} width CSS px */
  function drawBins(width) {
    const scale = window.devicePixelRatio || 1;
    const height = BAR + 1 + BAND;
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.round(height * scale);
    canvas.style.height = `${height}px`;
    const g = context2d(canvas);
    g.setTransform(scale, 0, 0, scale, 0, 0);
    const css = getComputedStyle(strip);
    g.fillStyle = css.getPropertyValue("--mvw-bg2") || "#eee";
    g.fillRect(0, 0, width, BAR);
    const step = width / shown.bins.length;
    shown.bins.forEach((bin, k) => {
      const x = k * step;
      for (const { part, y, height: tall } of binBars(bin)) {
        g.fillStyle = COLORS[part];
        g.fillRect(x, y, step, tall);
      }
      if (bin.confidence !== null) {
        g.fillStyle = bandColor(bin.confidence);
        g.fillRect(x, BAR + 1, step, BAND);
      }
    });
    const current = Math.floor(model.get("index") / shown.layout.per);
    const x = current * step;
    const w = Math.max(step, 3);
    g.strokeStyle = css.getPropertyValue("--mvw-accent") || "#2a6fdb";
    g.lineWidth = 2;
    g.strokeRect(Math.max(1, Math.min(x - (w - step) / 2, width - w - 1)), 1, w, height - 2);
    canvas.setAttribute(
      "aria-label",
      `${readProgress(model).codes.length} images in ${shown.bins.length} bins of ${shown.layout.per}; the image shown is in bin ${current + 1}`,
    );
  }

  return { box, jump, render, dispose: () => resized.disconnect() };
}
