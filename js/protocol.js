// @ts-check
// The message protocol between this front end and the kernel (multiverseg_widget/widget/): every
// action the browser sends, every trait the kernel syncs, and the anywidget model as the modules
// use it. `npx tsc -p .` checks the modules against these types; the kernel checks every message
// again where it arrives (multiverseg_widget/widget/protocol.py).

import { erasedPositions } from "./strokes.js";

/** @import { ToolAction } from "./tools.js" */

/** (x, y) in image pixels; pixel (x, y) is the point (x, y). @typedef {[number, number]} Point */
/** End exclusive: [x0, y0, x1, y1]. @typedef {[number, number, number, number]} Box */

// ---- actions: what the browser sends --------------------------------------------------------

/**
 * The kinds of prompt the tools send; each tool's module (js/tools/) declares its fields. The
 * kernel's INTERACTIONS (widget/protocol.py) names the same kinds (tests/test_widget_protocol.py).
 * A tool's action of a kind not named here does not type-check as an Action (toWire).
 * @typedef {{kind: "click" | "box" | "scribble"}} PromptKind
 */
/**
 * What the user tells the model about the image shown: the prompts of the tools (js/tools.js).
 * @typedef {Extract<ToolAction, PromptKind>} Interaction
 */
/**
 * Paint the mask itself along a brush stroke `width` pixels wide: add its pixels (positive) or
 * erase them. The kernel rasterises it onto its mask as one hand edit (logged as a MaskEntry).
 * @typedef {{kind: "paint", points: Point[], positive: boolean, width: number}} PaintAction
 */
/**
 * Drop the log entries at these positions, as one undo step. The positions name entries of the
 * log the kernel sent with this version; the kernel refuses the erase once the log has changed.
 * @typedef {{kind: "erase", positions: number[], version: number}} EraseAction
 */
/** @typedef {{kind: "undo" | "redo" | "clear" | "suggest"}} StepAction */
/**
 * Accept the mask shown; an empty one only with `allow_empty` (the user confirmed it in the widget).
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
 * Put accepted image `index` back into the context set at entry `position` (absent: at the end):
 * what the status line's Undo sends after a RemoveContextAction.
 * @typedef {{kind: "add_context", index: number, position?: number}} AddContextAction
 */
/**
 * Annotate structure `name` from now on: its mask, log, progress and context set are shown.
 * @typedef {{kind: "structure", name: string}} StructureAction
 */
/**
 * A new structure, with an empty context set; it does not become the current one by itself.
 * @typedef {{kind: "add_structure", name: string}} AddStructureAction
 */
/** @typedef {{kind: "rename_structure", old: string, new: string}} RenameStructureAction */
/** @typedef {StructureAction | AddStructureAction | RenameStructureAction} StructuresAction */
/**
 * The formats of the export control (the kernel's EXPORT_FORMATS, widget/fields.py).
 * @typedef {"png" | "tiff" | "nifti" | "npz" | "labelmap"} ExportFormat
 */
/**
 * Write the accepted masks in `format` to `folder` (relative: to the kernel's working directory);
 * the kernel's notice says how many files it wrote, and where. Existing files are replaced only
 * with `overwrite` (the user said yes to the kernel's question, ExportBar); without it such an
 * export is not done and the kernel asks.
 * @typedef {{kind: "export", format: ExportFormat, folder: string, overwrite?: boolean}} ExportAction
 */
/**
 * Open the image the jump box names: `to` is its text as typed, an image's name or its number
 * (from 1); the kernel looks it up, and says so on the error line when no image fits.
 * @typedef {{kind: "jump", to: string}} JumpAction
 */
/**
 * Send the thumbnails of these context images (the gallery's items in view; at most 64): the
 * kernel answers in the `thumbnails` trait. It changes nothing.
 * @typedef {{kind: "thumbnails", indices: number[]}} ThumbnailsAction
 */
/**
 * @typedef {Interaction | PaintAction | EraseAction | StepAction | AcceptAction | NavigateAction
 *   | RemoveContextAction | AddContextAction | StructuresAction | ExportAction | JumpAction
 *   | ThumbnailsAction} Action
 */
/**
 * One request: what the user did since the last one, applied in order; the kernel answers with
 * its state and `ack: request`.
 * @typedef {{type: "actions", request: number, actions: Action[]}} ActionsMessage
 */

/**
 * The eraser's path while it waits in the queue: it becomes an EraseAction when its request
 * leaves, against the log the kernel sent last (see toWire).
 * @typedef {{kind: "erase", path: Point[], radius: number}} EraseGesture
 */
/**
 * What waits in the queue: what the tools queue, and the other actions.
 * @typedef {ToolAction | StepAction | AcceptAction | NavigateAction | RemoveContextAction
 *   | AddContextAction | StructuresAction | ExportAction | JumpAction | ThumbnailsAction} Queued
 */

// ---- traits: what the kernel syncs ----------------------------------------------------------

/**
 * A mask set by hand from Python (the browser never sends one).
 * @typedef {{kind: "mask", file?: string, sha256?: string}} MaskEntry
 */
/** An entry of the interaction log. @typedef {Interaction | MaskEntry} LogEntry */
/**
 * A binary array (multiverseg_widget/widget/codec.py).
 * @typedef {{shape: number[], dtype: string, data: DataView | ArrayBuffer}} EncodedArray
 */
/**
 * An image of the context set, as the gallery lists it: `key` names its thumbnail (one per
 * structure, image and accepted mask), which the gallery asks for once it scrolls into view.
 * @typedef {{index: number, name: string, key: number}} GalleryEntry
 */
/**
 * A context thumbnail (gray uint8 image and 0/1 mask, longest side 64 px).
 * @typedef {{key: number, index: number, image: EncodedArray, mask: EncodedArray}} Thumbnail
 */
/** @typedef {"todo" | "in progress" | "accepted"} Status */
/**
 * Another structure's accepted mask of the image shown (0/1), drawn as a faint contour.
 * @typedef {{name: string, mask: EncodedArray}} OtherMask
 */
/**
 * The kernel's question after an export that would overwrite files (not done): `serial` (one per
 * question), the export's format and folder as sent, and `text`, what would be overwritten.
 * @typedef {{serial: number, format: ExportFormat, folder: string, text: string}} OverwriteQuestion
 */
/**
 * The export bar's state: each format's default folder, and the last overwrite question.
 * @typedef {{folders: Partial<Record<ExportFormat, string>>, question?: OverwriteQuestion}} ExportBar
 */
/** The model in use. @typedef {{name: string, device: string, parameters: number, adapts: boolean}} ModelInfo */
/** The traits the browser sets: display options. @typedef {"opacity" | "overlay_mode" | "brush" | "colors"} DisplayTrait */

/**
 * The synced traits of SegmentWidget. The kernel sets all of them; the browser sets only the
 * display options (DisplayTrait). colors[k] ("#rrggbb") is the colour of structures[k];
 * progress: every image's status, uint8 indices into STATUSES (js/progress.js); confidence:
 * every image's confidence in the session's last propagation, float32, NaN where it has none
 * (empty: no propagation); thumbnails: the kernel's last answer to a ThumbnailsAction (serial:
 * one per answer); notice:
 * what the last request found out (why the image suggested), "" if nothing; prompts_per_accept:
 * the current structure's images accepted in this widget, in the order accepted, each with the
 * length of its interaction log when accepted (the in-context gain chart); context_note: how far
 * the context set can be trusted, "" if unknown (Session.context_note); export_bar: the export
 * bar's default folders and the kernel's last overwrite question (ExportBar).
 * @typedef {{
 *   image: EncodedArray,
 *   mask: EncodedArray,
 *   interactions: LogEntry[],
 *   log_version: number,
 *   index: number,
 *   name: string,
 *   progress: EncodedArray,
 *   gallery: GalleryEntry[],
 *   thumbnails: {serial?: number, items?: Thumbnail[]},
 *   seconds: number,
 *   error: string,
 *   notice: string,
 *   ack: number,
 *   opacity: number,
 *   overlay_mode: "fill" | "contour",
 *   brush: number,
 *   structures: string[],
 *   structure: string,
 *   colors: string[],
 *   others: OtherMask[],
 *   model_info: ModelInfo,
 *   confidence: EncodedArray,
 *   prompts_per_accept: number[],
 *   context_note: string,
 *   export_bar: ExportBar,
 * }} Traits
 */

/**
 * The anywidget model, as far as this front end uses it.
 * @typedef {{
 *   get<K extends keyof Traits>(name: K): Traits[K],
 *   set<K extends DisplayTrait>(name: K, value: Traits[K]): void,
 *   save_changes(): void,
 *   send(message: ActionsMessage): void,
 *   on(event: string, callback: () => void): void,
 *   off(event: string, callback: () => void): void,
 * }} Model
 */

/**
 * The queued actions as the kernel reads them: an eraser path becomes the positions of the strokes
 * it hits in `log` (the log of `version`), and is dropped when it hits none any more.
 * @param {Queued[]} queued
 * @param {LogEntry[]} log
 * @param {number} version
 * @returns {Action[]}
 */
export function toWire(queued, log, version) {
  return queued.flatMap(/** @returns {Action[]} */ (a) => {
    if (a.kind !== "erase") return [a];
    const positions = erasedPositions(log, a.path, a.radius);
    return positions.length ? [{ kind: "erase", positions, version }] : [];
  });
}
