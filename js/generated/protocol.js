// @ts-check
// The wire protocol as the kernel defines it (multiverseg_widget/widget/: actions.py,
// fields.py, notices.py, traits.py); js/protocol.js builds the messages' types on it.
// Generated: do not edit, run `python scripts/generate_protocol.py`.

/** @import { Point } from "../protocol.js" */

/** Most actions one batch carries. */
export const MAX_ACTIONS = 1000;

/** Most characters of one message as JSON. */
export const MAX_MESSAGE = 2000000;

/** Most characters of a structure's name. */
export const MAX_NAME = 100;

/** Most thumbnails one action asks for. */
export const MAX_THUMBNAILS = 64;

/** Most points one stroke has. */
export const MAX_STROKE_POINTS = 10000;

/** The narrowest brush, pixels. */
export const MIN_BRUSH = 1;

/** The widest brush the slider reaches, pixels. */
export const SLIDER_MAX_BRUSH = 64;

/**
 * A format the export control offers.
 * @typedef {"png" | "tiff" | "npz" | "nifti" | "labelmap" | "labelmap-tiff"} ExportFormat
 */

/**
 * The export control's formats: every format Session.export writes.
 * @type {readonly ExportFormat[]}
 */
export const EXPORT_FORMATS = ["png", "tiff", "npz", "nifti", "labelmap", "labelmap-tiff"];

/**
 * An image's status.
 * @typedef {"todo" | "in progress" | "accepted"} Status
 */

/**
 * What the kernel's status codes index.
 * @type {readonly Status[]}
 */
export const STATUSES = ["todo", "in progress", "accepted"];

/**
 * The traits the browser sets.
 * @typedef {"brush" | "opacity" | "overlay_mode" | "colors"} DisplayTrait
 */

/**
 * The kinds of action that only ask for something: their answer keeps the status and error lines.
 * @type {readonly string[]}
 */
export const READ_ONLY_KINDS = ["thumbnails"];

/**
 * The kinds of prompt the tools send (the prompt vocabulary's); each tool's module (js/tools/)
 * declares its fields. A tool's action of a kind not named here does not type-check as an Action.
 * @typedef {{kind: "click" | "box" | "scribble"}} PromptKind
 */

/**
 * Paint the mask itself along a brush stroke `width` pixels wide: add its pixels (positive) or
 * erase them. The kernel rasterises it onto its mask as one hand edit.
 * @typedef {{kind: "paint", points: Point[], positive: boolean, width: number}} PaintAction
 */

/**
 * Drop the log entries at `positions`, as one undo step. The positions name entries of the log the
 * kernel sent as `version`; the kernel refuses the erase once the log has changed.
 * @typedef {{kind: "erase", positions: number[], version: number}} EraseAction
 */

/**
 * An action without fields: undo, redo, clear or suggest.
 * @typedef {{kind: "undo" | "redo" | "clear" | "suggest"}} StepAction
 */

/**
 * Accept the mask shown; an empty one only with `allow_empty` (the user confirmed it).
 * @typedef {{kind: "accept", allow_empty?: boolean}} AcceptAction
 */

/**
 * Open image `index` (null: the one shown) plus `by` steps, kept inside the dataset.
 * @typedef {{kind: "navigate", index: number | null, by: number}} NavigateAction
 */

/**
 * Drop entry `entry` of the context set (the image stays accepted).
 * @typedef {{kind: "remove_context", entry: number}} RemoveContextAction
 */

/**
 * Put accepted image `index` back into the context set at entry `position` (left out or null: at
 * the end): what undoes a RemoveContext (the status line's Undo).
 * @typedef {{kind: "add_context", index: number, position?: number | null}} AddContextAction
 */

/**
 * Annotate structure `name` from now on: its mask, log, progress and context set.
 * @typedef {{kind: "structure", name: string}} SwitchStructureAction
 */

/**
 * A new structure `name` with an empty context set (it does not become the current one).
 * @typedef {{kind: "add_structure", name: string}} AddStructureAction
 */

/**
 * Rename structure `old` to `new`.
 * @typedef {{kind: "rename_structure", old: string, new: string}} RenameStructureAction
 */

/**
 * Write the accepted masks in `format` to `folder` (relative: to the kernel's working directory).
 * Existing files are replaced only with `overwrite` (the user said yes to the kernel's question);
 * without it such an export is not done and the kernel asks.
 * @typedef {{kind: "export", format: ExportFormat, folder: string, overwrite?: boolean}} ExportAction
 */

/**
 * Open the image the jump box names: `to` is its text as typed, an image's name or its number (from
 * 1).
 * @typedef {{kind: "jump", to: string}} JumpAction
 */

/**
 * Send the thumbnails of these context images (the gallery's items scrolled into view): the answer
 * is the `thumbnails` trait. It changes nothing.
 * @typedef {{kind: "thumbnails", indices: number[]}} ThumbnailRequestAction
 */

/**
 * Every action besides the prompts.
 * @typedef {PaintAction
 *   | EraseAction
 *   | StepAction
 *   | AcceptAction
 *   | NavigateAction
 *   | RemoveContextAction
 *   | AddContextAction
 *   | SwitchStructureAction
 *   | AddStructureAction
 *   | RenameStructureAction
 *   | ExportAction
 *   | JumpAction
 *   | ThumbnailRequestAction} WidgetAction
 */

/** The codes of the kernel's notices, which the front end acts on. */
export const NOTICE = /** @type {const} */ ({
  "context_removed": "context_removed",
  "checking": "checking",
  "adapting": "adapting",
  "suggesting": "suggesting",
  "suggested": "suggested",
  "suggested_first_open": "suggested_first_open",
  "exported": "exported",
  "not_exported": "not_exported",
  "read_only": "read_only"
});

/**
 * What a request found out: its code and args (the `notices` trait).
 * @typedef {{code: "context_removed", args: {index: number}}
 *   | {code: "checking", args: Record<string, never>}
 *   | {code: "adapting", args: {images: number}}
 *   | {code: "suggesting", args: Record<string, never>}
 *   | {code: "suggested", args: {confidence: number, below: number, open_images: number, sure: number}}
 *   | {code: "suggested_first_open", args: Record<string, never>}
 *   | {code: "exported", args: {images: number, format: string, folder: string}}
 *   | {code: "not_exported", args: {would_overwrite: string}}
 *   | {code: "read_only", args: Record<string, never>}} Notice
 */
