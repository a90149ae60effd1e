// @ts-check
// The tools, in the toolbar's order: one module each in js/tools/ (tool.js says what a tool is).
// The toolbar (panels.js), the keys (shortcuts.js), the pointer (input.js), the canvas
// (drawing.js), the queue (queue.js) and the protocol's types (protocol.js) all read this list:
// a new tool is its module and one entry here.

import { box } from "./tools/box.js";
import { click } from "./tools/click.js";
import { eraser } from "./tools/eraser.js";
import { paint } from "./tools/paint.js";
import { scribble } from "./tools/scribble.js";

/** @import { Tool, ToolInfo } from "./tools/tool.js" */

export const TOOLS = [click, box, scribble, eraser, paint];

/** One of the tools. @typedef {(typeof TOOLS)[number]} AnyTool */
/**
 * What a tool queues.
 * @template T
 * @typedef {T extends Tool<infer Q> ? Q : never} QueuedBy
 */
/** What the tools queue (their prompts, the eraser's path, the paint's strokes). @typedef {QueuedBy<AnyTool>} ToolAction */
/** The command that picks a tool. @typedef {`tool-${string}`} ToolCommand */

/**
 * @param {Pick<ToolInfo, "name">} tool
 * @returns {ToolCommand}
 */
export function toolCommand(tool) {
  return `tool-${tool.name}`;
}

/**
 * The tool a command picks, if it picks one.
 * @template {Pick<ToolInfo, "name">} T
 * @param {string} command
 * @param {readonly T[]} tools
 */
export function toolFor(command, tools) {
  return tools.find((tool) => toolCommand(tool) === command);
}
