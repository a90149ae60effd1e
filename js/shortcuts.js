// @ts-check
// Keyboard shortcuts of the canvas: a key event -> a command name (or null: not ours). Each tool's
// key comes from its entry in tools.js.

import { TOOLS, toolCommand } from "./tools.js";

/** @import { ToolCommand } from "./tools.js" */
/** @import { ToolInfo } from "./tools/tool.js" */

/**
 * What a key or a button asks for (widget.js carries it out): a tool (`tool-<name>`), or one of
 * the widget's own commands.
 * @typedef {ToolCommand | "toggle-sign" | "undo" | "redo" | "clear" | "accept" | "suggest" | "next"
 *   | "previous" | "brush-down" | "brush-up" | "overlay" | "fit" | "auto-window" | "help"
 *   | "escape" | "next-structure"} Command
 */

/** The keys that are not a tool's (z is undo / redo, below). @type {Record<string, Command>} */
const KEYS = {
  x: "toggle-sign",
  enter: "accept",
  n: "next",
  p: "previous",
  s: "next-structure",
  "[": "brush-down",
  "]": "brush-up",
  o: "overlay",
  f: "fit",
  "?": "help",
  escape: "escape",
};

/**
 * Key (lower case) -> command: each tool's key, then the widget's own. A key taken twice throws.
 * @param {readonly Pick<ToolInfo, "name" | "key">[]} tools
 * @returns {Record<string, Command>}
 */
export function keyMap(tools) {
  /** @type {Record<string, Command>} */
  const keys = {};
  for (const [key, cmd] of [...tools.map((t) => [t.key.toLowerCase(), toolCommand(t)]), ...Object.entries(KEYS)]) {
    if (key in keys || key === "z") throw new Error(`the key ${key} is taken twice (${keys[key] ?? "undo"}, ${cmd})`);
    keys[key] = /** @type {Command} */ (cmd);
  }
  return keys;
}

/**
 * For the help overlay: [keys, what they do], the tools' first.
 * @param {readonly Pick<ToolInfo, "name" | "key">[]} tools
 * @returns {[string, string][]}
 */
export function helpRows(tools) {
  return [
    [tools.map((t) => t.key).join(" / "), `${tools.map((t) => t.name).join(" / ")} tool`],
    ["x", "toggle positive / negative"],
    ["left click", "positive (negative after x)"],
    ["right click, shift + click", "the opposite sign"],
    ["z, ctrl + z", "undo"],
    ["shift + z, ctrl + shift + z", "redo"],
    ["enter", "accept and go to the next image (an empty mask: asked first)"],
    ["n / p", "next / previous image"],
    ["s", "next structure"],
    ["[ / ]", "smaller / larger brush"],
    ["o", "overlay on / off"],
    ["ctrl / cmd + wheel", "zoom"],
    ["wheel", "zoom once the image was clicked, else scroll the page"],
    ["space + drag, middle drag", "pan"],
    ["f", "fit to view"],
    ["?", "this help"],
  ];
}

const KEY_MAP = keyMap(TOOLS);
export const HELP = helpRows(TOOLS);

/**
 * {key, shiftKey, ctrlKey, metaKey, altKey} -> command, or null for keys the widget leaves alone.
 * @param {Pick<KeyboardEvent, "key" | "shiftKey" | "ctrlKey" | "metaKey" | "altKey">} event
 * @param {Record<string, Command>} keys
 * @returns {Command | null}
 */
export function commandForKey(event, keys = KEY_MAP) {
  const key = event.key.toLowerCase();
  if (event.altKey) return null;
  if (key === "z") return event.shiftKey ? "redo" : "undo";
  if (event.ctrlKey || event.metaKey) return null;
  return Object.hasOwn(keys, key) ? keys[key] : null;
}
