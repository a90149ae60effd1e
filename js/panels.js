// @ts-check
// The panels around the canvas: structure picker, toolbar, view bar, help, status line (with the
// model in use), progress strip and context gallery. They show the kernel's traits and the view's
// settings, and turn button presses into commands, display settings and actions (through the
// callbacks they are given).

import { h } from "./dom.js";
import { thumbnail } from "./drawing.js";
import { toLevelWidth } from "./image.js";
import { HELP } from "./shortcuts.js";
import { colorOf, hexToRGB, nameProblem, recolor } from "./structures.js";
import { TOOLS, toolCommand } from "./tools.js";

/** @import { Window } from "./image.js" */
/** @import { ModelInfo, Model, Queued, Traits } from "./protocol.js" */
/** @import { Command } from "./shortcuts.js" */
/** @import { ShownImage } from "./state.js" */
/** @import { ToolInfo } from "./tools/tool.js" */

const STAGE_HEIGHT = 480;
const MAX_NAME = 100; // the kernel's limit on a structure's name (widget/protocol.py MAX_NAME)

/**
 * The status area's model line, e.g. "built-in · cpu · 0.3 M parameters".
 * @param {ModelInfo} info
 */
export function modelLine({ name, device, parameters }) {
  const size = parameters >= 1e5 ? `${(parameters / 1e6).toFixed(1)} M` : `${(parameters / 1e3).toFixed(1)} k`;
  return `${name} · ${device} · ${size} parameters`;
}

/**
 * The toolbar's tool buttons, one per tool in the registry's order: its name, text ("label
 * (key)"), tooltip and command.
 * @param {readonly Pick<ToolInfo, "name" | "key" | "label" | "title">[]} tools
 */
export function toolButtons(tools) {
  return tools.map((t) => ({ name: t.name, text: `${t.label} (${t.key})`, title: t.title, command: toolCommand(t) }));
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
  canvas.style.height = `${STAGE_HEIGHT}px`;
  const tools = new Map(
    toolButtons(TOOLS).map(({ name, text, title, command }) => [
      name,
      h("button", { className: "mvw-tool", textContent: text, title, onclick: () => on.command(command) }),
    ]),
  );
  const sign = h("button", { onclick: () => on.command("toggle-sign") });
  const brush = h("input", { type: "range", min: 1, max: 64, step: 1, oninput: () => on.brush(+brush.value) });
  const brushLabel = h("span", { className: "mvw-label" });
  const opacity = h("input", {
    type: "range", min: 0, max: 1, step: 0.05,
    oninput: () => on.save("opacity", +opacity.value),
  });
  const display = h("select", { onchange: () => on.save("overlay_mode", /** @type {"fill" | "contour"} */ (display.value)) }, [
    h("option", { value: "fill", textContent: "fill" }),
    h("option", { value: "contour", textContent: "contour" }),
  ]);
  const overlayBox = h("input", { type: "checkbox", checked: true, onchange: () => on.command("overlay") });
  const level = h("input", { type: "range", oninput: () => on.window(+level.value, +width.value) });
  const width = h("input", { type: "range", oninput: () => on.window(+level.value, +width.value) });
  /**
   * @param {string} text
   * @param {Command} cmd
   */
  const button = (text, cmd, title = "") => h("button", { textContent: text, title, onclick: () => on.command(cmd) });
  const acceptButton = button("Accept & next (enter)", "accept");
  acceptButton.classList.add("mvw-primary");
  const toolbar = h("div", { className: "mvw-toolbar" }, [
    ...tools.values(), sign, h("label", {}, [" brush ", brush, brushLabel]),
    button("Undo", "undo", "z"), button("Redo", "redo", "shift + z"), button("Clear", "clear"),
    acceptButton, button("◀ Prev", "previous", "p"), button("Next ▶", "next", "n"),
    button("Fit", "fit", "f"), button("?", "help", "shortcuts"),
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
  const structureBar = h("div", { className: "mvw-toolbar" }, [
    h("span", { className: "mvw-label", textContent: "structure" }), chips,
    h("button", { textContent: "+ Add", title: "a new structure, annotated next", onclick: () => openName("add") }),
    h("button", { textContent: "Rename", title: "rename the current structure", onclick: () => openName("rename") }),
    nameForm,
  ]);
  const viewbar = h("div", { className: "mvw-toolbar" }, [
    h("label", {}, [overlayBox, " overlay (o) "]), display,
    h("label", {}, [" opacity ", opacity]), h("label", {}, [" level ", level]),
    h("label", {}, [" window ", width]), button("Auto W/L", "auto-window"),
  ]);
  const helpBox = h("div", { className: "mvw-help", hidden: true }, [
    h("table", {}, HELP.map(([k, v]) => h("tr", {}, [h("td", { textContent: k }), h("td", { textContent: v })]))),
  ]);
  const stage = h("div", { className: "mvw-stage" }, [canvas, helpBox]);
  const spinner = h("span", { className: "mvw-busy" });
  const statusText = h("span", { className: "mvw-status-text" });
  const errorText = h("span", { className: "mvw-error" });
  const modelText = h("span", { className: "mvw-model mvw-label", title: "the model: name, device, size" });
  const strip = h("div", { className: "mvw-strip" });
  const progressText = h("span", { className: "mvw-label" });
  const gallery = h("div", { className: "mvw-gallery" });
  const galleryTitle = h("div", { className: "mvw-label" });
  const root = h("div", { className: "mvw-root", tabIndex: -1 }, [
    structureBar, toolbar, viewbar, stage,
    h("div", { className: "mvw-status" }, [spinner, statusText, errorText, modelText]),
    h("div", { className: "mvw-progress" }, [progressText, strip, button("Suggest next", "suggest", "the image the model is least sure about")]),
    galleryTitle, gallery,
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
        const pick = h("button", { textContent: name, title: `annotate ${name} (s: the next structure)`, onclick: () => on.send({ kind: "structure", name }) });
        return h("span", { className: `mvw-structure${name === current ? " mvw-active" : ""}` }, [color, pick]);
      }),
    );
    root.dataset.structure = current;
  }

  function showModel() {
    modelText.textContent = modelLine(model.get("model_info"));
  }

  /** @param {ToolInfo} tool */
  function showTool(tool) {
    for (const [name, b] of tools) b.classList.toggle("mvw-active", name === tool.name);
    root.dataset.tool = tool.name;
    canvas.style.cursor = tool.cursor;
  }

  /** @param {boolean} positive */
  function showSign(positive) {
    sign.textContent = positive ? "+ positive (x)" : "− negative (x)";
    sign.className = positive ? "mvw-positive" : "mvw-negative";
    root.dataset.positive = String(positive);
  }

  /** @param {boolean} shown */
  function showOverlay(shown) {
    overlayBox.checked = shown;
    root.dataset.overlay = shown ? "on" : "off";
  }

  /** @param {boolean} shown */
  function showHelp(shown) {
    helpBox.hidden = !shown;
  }

  function showBrush() {
    brush.value = String(model.get("brush"));
    brushLabel.textContent = ` ${model.get("brush")} px`;
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
   * The status line and the progress count; `pending`: actions not yet answered by the kernel.
   * @param {number} pending
   */
  function showStatus(pending) {
    const statuses = model.get("statuses");
    const accepted = statuses.filter((x) => x === "accepted").length;
    const seconds = model.get("seconds");
    statusText.textContent =
      `image ${model.get("index") + 1} of ${statuses.length} · ${model.get("name")} · ` +
      `${model.get("structure")}: accepted ${accepted} · context ${model.get("gallery").length} · ` +
      `last prediction ${seconds ? `${Math.round(seconds * 1000)} ms` : "–"}`;
    errorText.textContent = model.get("error");
    const busy = pending > 0;
    spinner.classList.toggle("mvw-on", busy);
    root.dataset.busy = String(busy);
    root.dataset.pending = String(pending);
    root.dataset.index = String(model.get("index"));
    progressText.textContent = `${model.get("structure")}: ${accepted} / ${statuses.length} accepted`;
  }

  /** @param {number} index */
  function navigateTo(index) {
    on.send({ kind: "navigate", index, by: 0 });
  }

  function renderStrip() {
    const current = model.get("index");
    strip.replaceChildren(
      ...model.get("statuses").map((status, i) =>
        h("span", {
          className: `mvw-cell mvw-${status.replace(" ", "-")}${i === current ? " mvw-current" : ""}`,
          title: `image ${i + 1}: ${status}`,
          onclick: () => navigateTo(i),
        }),
      ),
    );
  }

  function renderGallery() {
    const current = model.get("index");
    const items = model.get("gallery");
    const structure = model.get("structure");
    const color = hexToRGB(colorOf(model.get("structures"), model.get("colors"), structure));
    galleryTitle.textContent =
      `Context set of ${structure} (${items.length})${items.length ? "" : ": accept an image to add it"}`;
    gallery.replaceChildren(
      ...items.map((item, k) =>
        h("div", { className: `mvw-thumb${item.index === current ? " mvw-current" : ""}`, title: item.name }, [
          h("div", { onclick: () => navigateTo(item.index) }, [thumbnail(item, color)]),
          h("span", { className: "mvw-label", textContent: `#${item.index + 1}` }),
          h("button", {
            className: "mvw-remove", textContent: "×", title: "remove from the context set",
            onclick: () => on.send({ kind: "remove_context", entry: k }),
          }),
        ]),
      ),
    );
  }

  return {
    root, canvas, showTool, showSign, showOverlay, showHelp, showBrush, showOpacity,
    showWindowRange, showWindow, showStatus, renderStrip, renderGallery, renderStructures, showModel,
  };
}
