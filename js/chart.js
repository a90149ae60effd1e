// @ts-check
// The in-context gain chart: the prompts each accepted image of the structure took, in the order
// accepted, as bars on axes with numbers (the prompts on the left axis, the images' order under
// the bars, each bar's count above it where there is room), so that a user reads how many
// prompts an image takes as the context set grows. chartLayout is pure; createChart draws it.

import { h } from "./dom.js";

export const CHART = { width: 300, height: 108 }; // px: the whole chart
export const PLOT = { left: 34, right: 8, top: 14, bottom: 34 }; // px: its margins around the bars
const MAX_STEP = 25; // px from a bar to the next at most (one image's bar does not fill the chart)
const LABEL = 14; // px: the room a number takes (a tick's or a bar's count)
const STEPS = [1, 2, 5]; // times a power of ten: the axes' number steps

/**
 * The smallest step (1, 2, 5 times a power of ten) for which `parts` steps cover `value`.
 * @param {number} value
 * @param {number} parts
 */
export function niceStep(value, parts) {
  for (let power = 1; ; power *= 10) {
    for (const s of STEPS) if (s * power * parts >= value) return s * power;
  }
}

/**
 * A bar: its rectangle in the chart (px), the image's number (1-based, in the order accepted),
 * its prompts, its tooltip, and whether its count is written above it.
 * @typedef {{x: number, y: number, w: number, h: number, image: number, prompts: number,
 *   title: string, counted: boolean}} Bar
 */

/**
 * The chart of `counts` (the prompts of each accepted image, in order) in a `width` x `height`
 * chart: the left axis from 0 to `top` with its `ticks` (y: their height in px), the bars (as
 * tall as their prompts on that axis, at least 1 px so that an image accepted without a prompt
 * still shows; a fifth of their step apart, at least 1 px) and the image numbers written under them
 * (`labels`: every bar's while they have room, else every 2nd, 5th, 10th...).
 * @param {number[]} counts
 * @returns {{top: number, ticks: {y: number, value: number}[], bars: Bar[], labels: {x: number, value: number}[]}}
 */
export function chartLayout(counts, width = CHART.width, height = CHART.height) {
  const plotWidth = width - PLOT.left - PLOT.right;
  const plotHeight = height - PLOT.top - PLOT.bottom;
  const bottom = height - PLOT.bottom;
  const tick = niceStep(Math.max(1, ...counts), 3);
  const top = tick * Math.ceil(Math.max(1, ...counts) / tick);
  const ticks = [];
  for (let value = 0; value <= top; value += tick) ticks.push({ y: bottom - (value / top) * plotHeight, value });
  const step = counts.length ? Math.min(plotWidth / counts.length, MAX_STEP) : 0;
  const gap = Math.max(1, step / 5);
  const bars = counts.map((n, k) => {
    const h = Math.max(1, (n / top) * plotHeight);
    const title = `accepted image ${k + 1}: ${n} prompt${n === 1 ? "" : "s"}`;
    return { x: PLOT.left + k * step + gap, y: bottom - h, w: Math.max(1, step - gap), h, image: k + 1, prompts: n, title, counted: step >= LABEL };
  });
  const every = step ? niceStep(LABEL / step, 1) : 1;
  const labels = bars.filter((b) => b.image % every === 0 || (b.image === 1 && every >= 5)).map((b) => ({ x: b.x + b.w / 2, value: b.image }));
  return { top, ticks, bars, labels };
}

/**
 * The chart's SVG element and the function that draws `counts` in it (no count: the axes and
 * a line that says so).
 */
export function createChart() {
  // the HTML parser puts <svg> in the SVG namespace (no namespace URL in the bundle)
  const parse = h("template");
  parse.innerHTML = `<svg class="mvw-chart" width="${CHART.width}" height="${CHART.height}" role="img"></svg>`;
  const svg = /** @type {SVGSVGElement} */ (parse.content.firstElementChild);
  /**
   * @param {string} tag
   * @param {Record<string, string | number>} attributes
   * @param {string} text
   */
  const element = (tag, attributes, text = "") => {
    const node = document.createElementNS(svg.namespaceURI, tag);
    for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
    node.textContent = text;
    return node;
  };
  const bottom = CHART.height - PLOT.bottom;
  const right = CHART.width - PLOT.right;

  /** @param {number[]} counts */
  function render(counts) {
    const { ticks, bars, labels } = chartLayout(counts);
    svg.setAttribute("aria-label", counts.length ? counts.join(", ") : "no image accepted here yet");
    svg.replaceChildren(
      ...ticks.flatMap(({ y, value }) => [
        element("line", { class: "mvw-grid", x1: PLOT.left, x2: right, y1: y, y2: y }),
        element("text", { x: PLOT.left - 4, y: y + 3.5, "text-anchor": "end" }, String(value)),
      ]),
      element("line", { class: "mvw-axis", x1: PLOT.left, x2: PLOT.left, y1: PLOT.top, y2: bottom }),
      element("line", { class: "mvw-axis", x1: PLOT.left, x2: right, y1: bottom, y2: bottom }),
      element("text", { transform: `translate(10 ${(PLOT.top + bottom) / 2}) rotate(-90)`, "text-anchor": "middle" }, "prompts"),
      ...bars.flatMap((bar) => {
        const rect = element("rect", { x: bar.x, y: bar.y, width: bar.w, height: bar.h });
        rect.append(element("title", {}, bar.title));
        return bar.counted ? [rect, element("text", { class: "mvw-count", x: bar.x + bar.w / 2, y: bar.y - 3, "text-anchor": "middle" }, String(bar.prompts))] : [rect];
      }),
      ...labels.map(({ x, value }) => element("text", { x, y: bottom + 13, "text-anchor": "middle" }, String(value))),
      element("text", { x: (PLOT.left + right) / 2, y: CHART.height - 4, "text-anchor": "middle" }, counts.length ? "accepted images, in order" : "no image accepted yet"),
    );
  }

  return { svg, render };
}
