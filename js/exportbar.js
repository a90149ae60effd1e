// @ts-check
// The export bar: a format, its folder and Export. Each format has its own folder: the kernel's
// default (exports/<format> beside the work folder, widget/exporting.py), or what the user typed
// for that format. An export that would overwrite files is not done: the kernel answers with a
// question (the `export_bar` trait's `question`) that names them, shown under the bar;
// Overwrite sends the same export again with `overwrite: true`, Cancel (or escape) drops it.

import { h } from "./dom.js";
import { EXPORT_FORMATS } from "./generated/protocol.js";

/** @import { ExportAction, ExportFormat } from "./generated/protocol.js" */
/** @import { ExportBar, Model, OverwriteQuestion, Queued } from "./protocol.js" */

/**
 * The kernel's question if it is newer than the one with serial `seen` (a question is shown
 * once, when it arrives: not again on a later answer or a new view of the widget), else null.
 * @param {ExportBar} bar
 * @param {number} seen
 * @returns {OverwriteQuestion | null}
 */
export function newQuestion(bar, seen) {
  const question = bar.question;
  return question && question.serial > seen ? question : null;
}

/**
 * The export the user's yes sends: the one asked about, allowed to overwrite.
 * @param {OverwriteQuestion} question
 * @returns {ExportAction}
 */
export function overwriteAction({ format, folder }) {
  return { kind: "export", format, folder, overwrite: true };
}

/**
 * The bar and the question's box (the panels place both), and what the widget calls: `answered`
 * when the kernel's export_bar changes, `close` on escape.
 * @param {Model} model
 * @param {(action: Queued) => void} send
 */
export function createExportBar(model, send) {
  const folders = { ...model.get("export_bar").folders };
  /** @type {ExportFormat} */
  let shown = EXPORT_FORMATS[0];
  let seen = model.get("export_bar").question?.serial ?? 0;
  /** @type {OverwriteQuestion | null} */
  let asked = null;
  const format = h("select", {
    title: "export format", "aria-label": "export format",
    onchange: () => {
      shown = /** @type {ExportFormat} */ (format.value);
      folder.value = folders[shown] ?? "";
    },
  }, EXPORT_FORMATS.map((f) => h("option", { value: f, textContent: f })));
  const folder = h("input", {
    type: "text", className: "mvw-export-folder", value: folders[shown] ?? "", "aria-label": "export folder",
    title: "the folder to export to, one per format (relative: to the kernel's working directory)",
    oninput: () => { folders[shown] = folder.value; },
  });
  const exportButton = h("button", {
    textContent: "Export", title: "write the accepted masks to the folder (asks before it overwrites a file)",
    onclick: () => {
      ask(null);
      send({ kind: "export", format: shown, folder: folder.value.trim() });
    },
  });
  const bar = h("div", { className: "mvw-toolbar mvw-export" }, [
    h("span", { className: "mvw-label", textContent: "export" }), format, folder, exportButton,
  ]);
  const questionText = h("span");
  const question = h("div", { className: "mvw-toolbar mvw-export-question", hidden: true, role: "alertdialog" }, [
    questionText,
    h("button", {
      textContent: "Overwrite", title: "export again, replacing those files",
      onclick: () => {
        if (asked) send(overwriteAction(asked));
        ask(null);
      },
    }),
    h("button", { textContent: "Cancel (esc)", onclick: () => ask(null) }),
  ]);

  /**
   * Show `next` (null: hide the question).
   * @param {OverwriteQuestion | null} next
   */
  function ask(next) {
    asked = next;
    questionText.textContent = next ? `Export ${next.format}: ${next.text}. Overwrite them?` : "";
    question.hidden = !next; // no focus moves: Enter stays the widget's accept, never a yes
  }

  /** The kernel answered: its new question, if there is one, is asked. */
  function answered() {
    const next = newQuestion(model.get("export_bar"), seen);
    if (next) {
      seen = next.serial;
      ask(next);
    }
  }

  return { bar, question, answered, close: () => ask(null) };
}
