// @ts-check
// The message protocol between this front end and the kernel (multiverseg_widget/widget/): every
// action the browser sends, every trait the kernel syncs, and the anywidget model as the modules
// use it. The actions' fields, the limits, the formats and the notice codes are the kernel's,
// generated into generated/protocol.js (`python scripts/generate_protocol.py`). `npx tsc -p .`
// checks the modules against these types; the kernel checks every message again where it arrives
// (multiverseg_widget/widget/protocol.py).

import { erasedPositions } from "./strokes.js";

/** @import { DisplayTrait, ExportFormat, Notice, PromptKind, WidgetAction } from "./generated/protocol.js" */
/** @import { ToolAction } from "./tools.js" */

/** (x, y) in image pixels; pixel (x, y) is the point (x, y). @typedef {[number, number]} Point */
/** End exclusive: [x0, y0, x1, y1]. @typedef {[number, number, number, number]} Box */

// ---- actions: what the browser sends --------------------------------------------------------

/**
 * What the user tells the model about the image shown: the prompts of the tools (js/tools.js).
 * @typedef {Extract<ToolAction, PromptKind>} Interaction
 */
/** Every action the browser sends. @typedef {Interaction | WidgetAction} Action */
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
 * What waits in the queue: what the tools queue, and the actions of the other kinds.
 * @typedef {ToolAction | Exclude<WidgetAction, {kind: ToolAction["kind"]}>} Queued
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
/**
 * The kernel's background work (widget/background.py): `done` of `total` steps of `what`
 * ("checking", "adapting", "suggesting"; total 0 until its steps are counted); empty when there
 * is none.
 * @typedef {{what?: string, done?: number, total?: number}} Work
 */
/** The model in use. @typedef {{name: string, device: string, parameters: number, adapts: boolean}} ModelInfo */

/**
 * The synced traits of SegmentWidget (widget/traits.py). The kernel sets all of them; the
 * browser sets only the display options (DisplayTrait). colors[k] ("#rrggbb") is the colour of
 * structures[k]; progress: every image's status, uint8 indices into STATUSES
 * (generated/protocol.js); confidence: every image's confidence in the session's last
 * propagation, float32, NaN where it has none (empty: no propagation); thumbnails: the kernel's
 * last answer to a ThumbnailRequestAction (serial: one per answer); notice: what the last request
 * found out (why the image suggested), "" if nothing; notices: the same as codes and args, which
 * the front end acts on (never on the text); prompts_per_accept: the current structure's images
 * accepted in this widget, in the order accepted, each with the length of its interaction log
 * when accepted (the in-context gain chart); context_used: the context images the shown
 * prediction used (Session.context_used); context_note: how far the context set can be
 * trusted, "" if unknown (Session.context_note); work: the kernel's background work (Work);
 * export_bar: the export bar's default folders and
 * the kernel's last overwrite question (ExportBar).
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
 *   notices: Notice[],
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
 *   context_used: number[],
 *   context_note: string,
 *   work: Work,
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
