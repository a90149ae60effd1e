// @ts-check
// Keyboard shortcuts of the canvas: a key event -> a command name (or null: not ours).

/**
 * What a key or a button asks for (widget.js carries it out).
 * @typedef {"tool-click" | "tool-box" | "tool-scribble" | "tool-eraser" | "toggle-sign" | "undo"
 *   | "redo" | "clear" | "accept" | "suggest" | "next" | "previous" | "brush-down" | "brush-up"
 *   | "overlay" | "fit" | "auto-window" | "help" | "escape"} Command
 */

/** @type {Record<string, Command>} */
const KEYS = {
  1: "tool-click",
  2: "tool-box",
  3: "tool-scribble",
  4: "tool-eraser",
  x: "toggle-sign",
  enter: "accept",
  n: "next",
  p: "previous",
  "[": "brush-down",
  "]": "brush-up",
  o: "overlay",
  f: "fit",
  "?": "help",
  escape: "escape",
};

/** For the help overlay: [keys, what they do]. */
export const HELP = [
  ["1 / 2 / 3 / 4", "click / box / scribble / eraser tool"],
  ["x", "toggle positive / negative"],
  ["left click", "positive (negative after x)"],
  ["right click, shift + click", "the opposite sign"],
  ["z, ctrl + z", "undo"],
  ["shift + z, ctrl + shift + z", "redo"],
  ["enter", "accept and go to the next image"],
  ["n / p", "next / previous image"],
  ["[ / ]", "smaller / larger brush"],
  ["o", "overlay on / off"],
  ["wheel", "zoom"],
  ["space + drag, middle drag", "pan"],
  ["f", "fit to view"],
  ["?", "this help"],
];

/**
 * {key, shiftKey, ctrlKey, metaKey, altKey} -> command, or null for keys the widget leaves alone.
 * @param {Pick<KeyboardEvent, "key" | "shiftKey" | "ctrlKey" | "metaKey" | "altKey">} event
 * @returns {Command | null}
 */
export function commandForKey(event) {
  const key = event.key.toLowerCase();
  if (event.altKey) return null;
  if (key === "z") return event.shiftKey ? "redo" : "undo";
  if (event.ctrlKey || event.metaKey) return null;
  return KEYS[key] ?? null;
}
