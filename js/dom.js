// @ts-check
// Elements and canvas layers, shared by the panels and the drawing.

const FOCUSABLE = new Set(["canvas", "button", "input", "select"]);

/**
 * An element with properties (those named on* are listeners, the rest properties or attributes)
 * and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Record<string, unknown>} props
 * @param {(Node | string)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), /** @type {EventListener} */ (v));
    else if (k in node && k !== "list") Object.assign(node, { [k]: v });
    else node.setAttribute(k, String(v));
  }
  for (const child of children) node.append(child);
  // Lumino (JupyterLab, Notebook 7) matches shortcut selectors such as "... :focus" against the
  // focused element itself before it looks at its parents: every focusable element needs the mark.
  if (FOCUSABLE.has(tag)) node.setAttribute("data-lm-suppress-shortcuts", "true");
  return node;
}

/**
 * A w x h canvas holding these RGBA pixels.
 * @param {number} w
 * @param {number} height
 * @param {Uint8ClampedArray<ArrayBuffer>} rgba
 */
export function layer(w, height, rgba) {
  const canvas = h("canvas", { width: w, height });
  context2d(canvas).putImageData(new ImageData(rgba, w, height), 0, 0);
  return canvas;
}

/**
 * The canvas's 2D context (every browser the widget runs in has one).
 * @param {HTMLCanvasElement} canvas
 */
export function context2d(canvas) {
  return /** @type {CanvasRenderingContext2D} */ (canvas.getContext("2d"));
}
