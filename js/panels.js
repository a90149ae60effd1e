// @ts-check
// The panels around the canvas: structure picker, toolbar (icons in groups: tools, polarity,
// brush, history, navigation, view), window bar, help, the empty-accept question, status line
// (status.js), error line, progress strip and jump box (strip.js), in-context gain chart
// (chart.js), context gallery (gallery.js), export bar (exportbar.js) and the model in use; and
// the layout that fits the canvas to the viewport. They show the kernel's traits and the view's
// settings, and turn button presses into commands, display settings and actions (through the
// callbacks they are given).

import { createChart } from "./chart.js";
import { h } from "./dom.js";
import { createExportBar } from "./exportbar.js";
import { createGallery } from "./gallery.js";
import { MAX_NAME, MIN_BRUSH, NOTICE, SLIDER_MAX_BRUSH } from "./generated/protocol.js";
import { ICONS, icon } from "./icons.js";
import { toLevelWidth } from "./image.js";
import { confidenceAt, contextSet, imageState, readProgress, statusOf } from "./progress.js";
import { HELP } from "./shortcuts.js";
import { contextCount, statusLine, statusNotice } from "./status.js";
import { createStrip } from "./strip.js";
import { colorOf, nameProblem, recolor } from "./structures.js";
import { TOOLS, toolCommand } from "./tools.js";
import { stageSize } from "./view.js";

/** @import { Notice } from "./generated/protocol.js" */
/** @import { Window } from "./image.js" */
/** @import { ModelInfo, Model, Queued, Traits, Work } from "./protocol.js" */
/** @import { Command } from "./shortcuts.js" */
/** @import { ShownImage } from "./state.js" */
/** @import { ToolInfo } from "./tools/tool.js" */

const MIN_STAGE = 160; // px: the canvas's least height, however small the window
const ROOMY = 480; // px: the canvas grows to this height before the panels under the strip leave the view
const MARGIN = 8; // px kept free under what the layout keeps in view
const SPINNER_DELAY_MS = 300; // a request shorter than this shows no spinner

/**
 * The model line, e.g. "built-in · cpu · 0.3 M parameters · adapts to each context set" (the
 * last part: the kernel fine-tunes it on each new context set first).
 * @param {ModelInfo} info
 */
export function modelLine({ name, device, parameters, adapts }) {
  const size = parameters >= 1e5 ? `${(parameters / 1e6).toFixed(1)} M` : `${(parameters / 1e3).toFixed(1)} k`;
  return `${name} · ${device} · ${size} parameters${adapts ? " · adapts to each context set" : ""}`;
}

/**
 * The toolbar's tool buttons, one per tool in the registry's order: its name, picture, name for
 * assistive technology ("label (key)"), tooltip (that name, then what the tool does) and command.
 * @param {readonly Pick<ToolInfo, "name" | "key" | "label" | "icon" | "title">[]} tools
 */
export function toolButtons(tools) {
  return tools.map((t) => {
    const text = `${t.label} (${t.key})`;
    return { name: t.name, icon: t.icon, text, title: `${text}: ${t.title}`, command: toolCommand(t) };
  });
}

/**
 * Whether the status line offers to undo `removed` (the image the gallery's × took out of the
 * context set, and the entry it held): while the kernel's only notice is still that it left.
 * @param {Notice[]} notices
 * @param {{index: number, entry: number} | null} removed
 */
export function offersUndo(notices, removed) {
  const [only, ...more] = notices;
  return removed !== null && !more.length && only?.code === NOTICE.context_removed && only.args.index === removed.index;
}

/**
 * What the panels ask of the rest of the widget.
 * @typedef {{
 *   command: (command: Command) => void,
 *   brush: (pixels: number) => void,
 *   window: (level: number, width: number) => void,
 *   save: <K extends "opacity" | "overlay_mode" | "colors">(name: K, value: Traits[K]) => void,
 *   send: (action: Queued) => void,
 * }} PanelCallbacks
 */

/**
 * The widget's DOM, with the canvas in its stage.
 * @param {Model} model
 * @param {PanelCallbacks} on
 */
export function createPanels(model, on) {
  const canvas = h("canvas", { className: "mvw-canvas", tabIndex: 0 });
  /**
   * A button with a picture; its name (for assistive technology and tests) and tooltip name
   * the shortcut.
   * @param {string} path
   * @param {string} name
   * @param {Command} cmd
   */
  const iconButton = (path, name, cmd, text = "") => {
    const b = h("button", { className: "mvw-icon-button", title: name, "aria-label": name, onclick: () => on.command(cmd) }, [icon(path)]);
    if (text) b.append(h("span", { textContent: text }));
    return b;
  };
  /**
   * @param {string} text
   * @param {Command} cmd
   */
  const button = (text, cmd, title = "") => h("button", { textContent: text, title, onclick: () => on.command(cmd) });
  /**
   * @param {string} label
   * @param {(Node | string)[]} children
   */
  const group = (label, children) => h("div", { className: "mvw-group", role: "group", "aria-label": label }, children);
  const tools = new Map(
    toolButtons(TOOLS).map(({ name, icon: path, text, title, command }) => {
      const b = iconButton(path, text, command);
      b.classList.add("mvw-tool");
      b.title = title;
      return [name, b];
    }),
  );
  const sign = h("button", { className: "mvw-sign", onclick: () => on.command("toggle-sign") });
  const brush = h("input", { type: "range", min: MIN_BRUSH, max: SLIDER_MAX_BRUSH, step: 1, title: "brush width ([ / ])", oninput: () => on.brush(+brush.value) });
  const brushLabel = h("span", { className: "mvw-label mvw-number" });
  const opacity = h("input", {
    type: "range", min: 0, max: 1, step: 0.05, title: "overlay opacity",
    oninput: () => on.save("opacity", +opacity.value),
  });
  const display = h("select", { title: "overlay: fill or contour", onchange: () => on.save("overlay_mode", /** @type {"fill" | "contour"} */ (display.value)) }, [
    h("option", { value: "fill", textContent: "fill" }),
    h("option", { value: "contour", textContent: "contour" }),
  ]);
  const overlayButton = iconButton(ICONS.overlay, "Overlay on / off (o)", "overlay");
  const level = h("input", { type: "range", oninput: () => on.window(+level.value, +width.value) });
  const width = h("input", { type: "range", oninput: () => on.window(+level.value, +width.value) });
  const windowButton = h("button", {
    className: "mvw-icon-button", title: "Window / level", "aria-label": "Window / level",
    onclick: () => { windowBar.hidden = !windowBar.hidden; windowButton.classList.toggle("mvw-active", !windowBar.hidden); },
  }, [icon(ICONS.window)]);
  const acceptButton = iconButton(ICONS.accept, "Accept & next (enter)", "accept", "Accept");
  acceptButton.classList.add("mvw-primary");
  const toolbar = h("div", { className: "mvw-toolbar" }, [
    group("tools", [...tools.values()]),
    group("polarity", [sign]),
    group("brush", [brush, brushLabel]),
    group("history", [
      iconButton(ICONS.undo, "Undo (z, ctrl + z)", "undo"),
      iconButton(ICONS.redo, "Redo (shift + z, ctrl + shift + z)", "redo"),
      iconButton(ICONS.clear, "Clear the image's prompts", "clear"),
    ]),
    group("navigation", [
      iconButton(ICONS.previous, "Previous image (p)", "previous"), acceptButton,
      iconButton(ICONS.next, "Next image (n)", "next"),
    ]),
    group("view", [
      overlayButton, display, opacity, iconButton(ICONS.fit, "Fit to view (f)", "fit"), windowButton,
      button("?", "help", "Shortcuts and mouse (?)"),
    ]),
  ]);
  const windowBar = h("div", { className: "mvw-toolbar", hidden: true }, [
    h("label", {}, [" level ", level]), h("label", {}, [" window ", width]), button("Auto W/L", "auto-window"),
  ]);
  const chips = h("span", { className: "mvw-chips" });
  const nameField = h("input", {
    type: "text", className: "mvw-name", maxLength: MAX_NAME, placeholder: "structure name",
    onkeydown: (/** @type {KeyboardEvent} */ e) => {
      if (e.key === "Enter") submitName();
      else if (e.key === "Escape") closeName();
    },
  });
  const nameProblemText = h("span", { className: "mvw-error" });
  const nameForm = h("span", { className: "mvw-name-form", hidden: true }, [
    nameField, h("button", { textContent: "OK", onclick: submitName }),
    h("button", { textContent: "Cancel", onclick: closeName }), nameProblemText,
  ]);
  /** What the name field is for while it is open. @type {"add" | "rename"} */
  let naming = "add";
  const structureBar = h("div", { className: "mvw-toolbar mvw-structures" }, [
    h("span", { className: "mvw-label", textContent: "structure" }), chips,
    h("button", { textContent: "+ Add", title: "a new structure, annotated next", onclick: () => openName("add") }),
    h("button", { textContent: "Rename", title: "rename the current structure", onclick: () => openName("rename") }),
    nameForm,
  ]);
  const half = Math.ceil(HELP.length / 2); // two tables side by side where there is room
  // where the help is taller than the stage it scrolls, and says so at its foot until its end shows
  const helpMore = h("div", { className: "mvw-help-more", textContent: "more below: scroll ↓", hidden: true });
  const helpBox = h("div", {
    className: "mvw-help", hidden: true, role: "dialog", "aria-label": "Shortcuts and mouse", onscroll: () => showHelpMore(),
  }, [
    h("div", { className: "mvw-help-title" }, [
      h("strong", { textContent: "Shortcuts and mouse" }), h("span", { className: "mvw-label", textContent: "? or esc closes" }),
    ]),
    h("div", { className: "mvw-help-tables" }, [HELP.slice(0, half), HELP.slice(half)].map((rows) =>
      h("table", {}, rows.map(([k, v]) => h("tr", {}, [h("th", { textContent: k, scope: "row" }), h("td", { textContent: v })]))),
    )),
    helpMore,
  ]);
  const confirmText = h("span");
  const confirmButton = h("button", { className: "mvw-primary", textContent: "Accept empty (enter)", onclick: () => on.command("accept") });
  const confirmBox = h("div", { className: "mvw-confirm", hidden: true, role: "alertdialog" }, [
    confirmText, confirmButton, h("button", { textContent: "Cancel (esc)", onclick: () => on.command("escape") }),
  ]);
  const spinner = h("span", { className: "mvw-busy" });
  let spinnerTimer = 0;
  const statusImage = h("span", { className: "mvw-status-image" });
  const statusNews = h("span", { className: "mvw-status-news" });
  const statusDetails = h("span", { className: "mvw-status-details" });
  const statusText = h("span", { className: "mvw-status-text" }, [statusImage, statusNews, statusDetails]);
  const workBar = /** @type {HTMLProgressElement} */ (h("progress", { className: "mvw-work", hidden: true }));
  /** @type {{index: number, entry: number} | null} the image the gallery's × took out last */
  let removed = null;
  const undoButton = h("button", {
    className: "mvw-undo-context", textContent: "Undo", hidden: true, title: "put the image back into the context set",
    onclick: () => {
      if (removed) on.send({ kind: "add_context", index: removed.index, position: removed.entry });
      removed = null;
      undoButton.hidden = true;
    },
  });
  const errorText = h("span", { className: "mvw-error" });
  const errorLine = h("div", { className: "mvw-error-line", hidden: true, role: "alert" }, [
    errorText, h("button", { textContent: "×", title: "dismiss", "aria-label": "dismiss the error", onclick: dismissError }),
  ]);
  // the error line lies over the canvas's foot: in view, and nothing moves when it shows
  const stage = h("div", { className: "mvw-stage" }, [canvas, helpBox, confirmBox, errorLine]);
  /** The error the user dismissed: hidden until the kernel answers another request. */
  let dismissed = false;
  const modelText = h("div", { className: "mvw-model" });
  const strip = createStrip(model, on.send);
  const progressText = h("span", { className: "mvw-label mvw-progress-text" });
  const gallery = createGallery(model, {
    send: on.send,
    open: (index) => on.send({ kind: "navigate", index, by: 0 }),
    remove: (index, entry) => {
      removed = { index, entry };
      on.send({ kind: "remove_context", entry });
    },
  });
  const chart = createChart();
  const chartText = h("span", { className: "mvw-label" });
  const chartBar = h("div", { className: "mvw-chart-row", title: "prompts per accepted image, in the order accepted: fewer as the context set grows" }, [chartText, chart.svg]);
  const exports = createExportBar(model, on.send);
  const status = h("div", { className: "mvw-status" }, [spinner, statusText, workBar, undoButton]);
  const progressBar = h("div", { className: "mvw-progress" }, [
    progressText, strip.box, strip.jump, button("Suggest next", "suggest", "the image the model is least sure about"),
  ]);
  const root = h("div", { className: "mvw-root", tabIndex: -1 }, [
    structureBar, toolbar, windowBar, stage, status, progressBar,
    chartBar, gallery.title, gallery.row, exports.bar, exports.question, modelText,
  ]);
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  display.value = model.get("overlay_mode");

  /** @param {"add" | "rename"} mode */
  function openName(mode) {
    naming = mode;
    nameField.value = mode === "rename" ? model.get("structure") : "";
    nameProblemText.textContent = "";
    nameForm.hidden = false;
    nameField.focus();
    nameField.select();
  }

  function closeName() {
    nameForm.hidden = true;
    canvas.focus();
  }

  /** Add (and switch to) or rename a structure, once the name can be one. */
  function submitName() {
    const name = nameField.value.trim();
    const problem = nameProblem(name, model.get("structures"));
    nameProblemText.textContent = problem;
    if (problem) return;
    if (naming === "add") {
      on.send({ kind: "add_structure", name });
      on.send({ kind: "structure", name });
    } else {
      on.send({ kind: "rename_structure", old: model.get("structure"), new: name });
    }
    closeName();
  }

  /**
   * The canvas as large as the image's aspect, the cell's width and the viewport's height allow
   * with the bars above it, the status line and the strip under it in view; and the panels under
   * those (the chart to the export bar, the model line) too while the canvas keeps at least ROOMY
   * px. What it measures does not change with what the widget says (the status is one line, the
   * panels under it are of fixed height, the export question is left out), so the canvas keeps
   * its size from one image, answer or notice to the next.
   * @param {{w: number, h: number} | null} image
   */
  function layout(image) {
    if (!image || !root.isConnected) return;
    const scroller = root.closest(".jp-WindowedPanel-outer");
    const viewport = Math.min(window.innerHeight, scroller?.clientHeight || Infinity);
    const stageBox = stage.getBoundingClientRect();
    const kept = stageBox.top - root.getBoundingClientRect().top + progressBar.getBoundingClientRect().bottom - stageBox.bottom;
    const lower = exports.bar.getBoundingClientRect().bottom - chartBar.getBoundingClientRect().top + modelText.offsetHeight;
    const room = viewport - kept - MARGIN;
    const height = Math.max(MIN_STAGE, room - lower, Math.min(room, ROOMY));
    const size = stageSize(stage.clientWidth, height, image.w, image.h);
    const [cw, ch] = [`${size.width}px`, `${size.height}px`];
    if (canvas.style.width !== cw || canvas.style.height !== ch) Object.assign(canvas.style, { width: cw, height: ch });
    showHelpMore();
  }

  /** The structures, each with its colour input; a click on a name annotates that structure. */
  function renderStructures() {
    const names = model.get("structures");
    const current = model.get("structure");
    chips.replaceChildren(
      ...names.map((name, k) => {
        const color = h("input", {
          type: "color", value: colorOf(names, model.get("colors"), name), title: `${name}: colour`,
          onchange: () => on.save("colors", recolor(model.get("colors"), k, color.value)),
        });
        const pick = h("button", {
          textContent: name, title: `annotate ${name} (s: the next structure)`, "aria-pressed": String(name === current),
          onclick: () => on.send({ kind: "structure", name }),
        });
        return h("span", { className: `mvw-structure${name === current ? " mvw-active" : ""}` }, [color, pick]);
      }),
    );
  }

  function showModel() {
    modelText.textContent = modelText.title = modelLine(model.get("model_info"));
  }

  /** @param {ToolInfo} tool */
  function showTool(tool) {
    for (const [name, b] of tools) {
      b.classList.toggle("mvw-active", name === tool.name);
      b.setAttribute("aria-pressed", String(name === tool.name));
    }
    canvas.style.cursor = tool.cursor;
  }

  /** @param {boolean} positive */
  function showSign(positive) {
    sign.textContent = positive ? "+" : "−";
    sign.title = positive ? "Positive: the next prompt marks the object (x: negative)" : "Negative: the next prompt marks the background (x: positive)";
    sign.setAttribute("aria-label", positive ? "positive (x)" : "negative (x)");
    sign.classList.toggle("mvw-positive", positive);
    sign.classList.toggle("mvw-negative", !positive);
  }

  /** @param {boolean} shown */
  function showOverlay(shown) {
    overlayButton.classList.toggle("mvw-active", shown);
    overlayButton.setAttribute("aria-pressed", String(shown));
  }

  /** @param {boolean} shown */
  function showHelp(shown) {
    helpBox.hidden = !shown;
    showHelpMore();
  }

  /** The help's "more below" while part of it is out of its box, below. */
  function showHelpMore() {
    if (!helpBox.hidden) helpMore.hidden = helpBox.scrollTop + helpBox.clientHeight >= helpBox.scrollHeight - 1;
  }

  /**
   * The question before an empty mask is accepted (open: whether it is asked now).
   * @param {boolean} open
   */
  function showConfirm(open) {
    confirmText.textContent = `The mask is empty: accept image ${model.get("index") + 1} as having no ${model.get("structure")}?`;
    confirmBox.hidden = !open;
    if (open) confirmButton.focus();
  }

  function showBrush() {
    brush.value = String(model.get("brush"));
    brushLabel.textContent = `${model.get("brush")} px`;
  }

  function showOpacity() {
    opacity.value = String(model.get("opacity"));
  }

  /**
   * The level and window sliders' ranges for a new image.
   * @param {ShownImage} image
   */
  function showWindowRange({ range, dtype }) {
    const lo = Math.min(...range, ...(dtype === "uint8" ? [0, 255] : []));
    const span = Math.max(range[1] - range[0], 1e-6);
    for (const input of [level, width]) input.step = String(span / 200);
    level.min = String(lo - span);
    level.max = String(range[1] + span);
    width.min = String(span / 100);
    width.max = String(span * 4);
  }

  /** @param {Window} window */
  function showWindow(window) {
    const lw = toLevelWidth(window);
    level.value = String(lw.level);
    width.value = String(lw.width);
  }

  /**
   * The status line, the error line and the progress count; `pending`: actions not yet answered
   * by the kernel; `suggesting`: a suggestion among them (the kernel may be predicting every open
   * image from the context, which takes a while: the status says so).
   * @param {number} pending
   * @param {boolean} suggesting
   */
  function showStatus(pending, suggesting) {
    const progress = readProgress(model);
    const { accepted } = progress;
    const count = progress.codes.length;
    const index = model.get("index");
    const inContext = contextSet(model.get("gallery"));
    const seconds = model.get("seconds");
    const state = imageState(statusOf(progress, index), inContext.has(index), confidenceAt(progress, index));
    const line = statusLine({
      index, count, name: model.get("name"), state, notice: statusNotice(suggesting, model.get("notice")),
      structure: model.get("structure"), accepted, context: contextCount(model.get("context_used").length, inContext.size),
      note: model.get("context_note"), seconds,
    });
    statusImage.textContent = line.image;
    statusNews.textContent = line.news;
    statusDetails.textContent = line.details;
    statusText.title = line.title;
    statusText.classList.toggle("mvw-has-news", Boolean(line.news));
    undoButton.hidden = suggesting || !offersUndo(model.get("notices"), removed);
    showWork(model.get("work"));
    const error = model.get("error");
    errorText.textContent = error;
    errorLine.hidden = !error || dismissed;
    showBusy(pending > 0);
    progressText.textContent = progressText.title = `${model.get("structure")}: ${accepted} / ${count} accepted, ${inContext.size} in context`;
  }

  /**
   * The background work's progress bar (the kernel answers prompts meanwhile), hidden when
   * there is none.
   * @param {Work} work
   */
  function showWork(work) {
    workBar.hidden = !work.what;
    if (!work.what) return;
    workBar.max = work.total || 1; // 0: its steps are not counted yet (an empty bar, not an animation)
    workBar.value = work.done ?? 0;
    workBar.title = work.total ? `${work.what}: ${work.done} of ${work.total} steps` : `${work.what}…`;
  }

  /**
   * The spinner, once a request has lasted SPINNER_DELAY_MS: a spinning animation that exists
   * (even while its start is delayed) has the browser draw every frame, and on two cores that
   * took about a tenth of each click's prediction time.
   * @param {boolean} busy
   */
  function showBusy(busy) {
    if (!busy) {
      clearTimeout(spinnerTimer);
      spinnerTimer = 0;
      spinner.classList.remove("mvw-on");
    } else if (!spinnerTimer && !spinner.classList.contains("mvw-on")) {
      spinnerTimer = setTimeout(() => {
        spinnerTimer = 0;
        spinner.classList.add("mvw-on");
      }, SPINNER_DELAY_MS);
    }
  }

  function dismissError() {
    dismissed = true;
    errorLine.hidden = true;
    canvas.focus();
  }

  /**
   * The kernel answered a request (not one that only asked for thumbnails): its error, if any,
   * is shown again, and the gallery asks again for the thumbnails a failed batch may not have
   * reached.
   */
  function answered() {
    dismissed = false;
    gallery.answered(model.get("error"));
  }

  /** The in-context gain chart: the prompts each accepted image of the structure took. */
  function renderChart() {
    chartText.textContent = `${model.get("structure")}: prompts per accepted image`;
    chart.render(model.get("prompts_per_accept"));
  }

  /** The widget is gone: its observers stop. */
  function dispose() {
    clearTimeout(spinnerTimer);
    strip.dispose();
    gallery.dispose();
  }

  return {
    root, renderChart, canvas, layout, showTool, showSign, showOverlay, showHelp, showConfirm, showBrush, showOpacity,
    showWindowRange, showWindow, showStatus, answered, renderStructures, showModel, dispose,
    renderStrip: strip.render, renderGallery: gallery.render, markCurrent: gallery.markCurrent,
    showThumbnails: gallery.receive, showExportQuestion: exports.answered, closeExportQuestion: exports.close,
  };
}
