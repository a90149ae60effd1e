// @ts-check
// The SegmentWidget front end. State lives in the kernel; this view draws it and sends actions.
// This module only wires the parts together: state.js (the view's own state), input.js (events ->
// actions and commands), drawing.js (the canvas), panels.js (toolbar, status, strip, gallery),
// queue.js (one request in flight), protocol.js (the messages, typed) and tools.js (the tools).

import { createDrawing } from "./drawing.js";
import { MIN_BRUSH, SLIDER_MAX_BRUSH } from "./generated/protocol.js";
import { countMask, fromLevelWidth } from "./image.js";
import { listen } from "./input.js";
import { createPanels } from "./panels.js";
import { toWire } from "./protocol.js";
import { ActionQueue, readOnly } from "./queue.js";
import { createState, shownInteractions } from "./state.js";
import { nextStructure } from "./structures.js";
import { TOOLS, toolFor } from "./tools.js";
import { clamp } from "./view.js";

/** @import { DisplayTrait } from "./generated/protocol.js" */
/** @import { Model, Queued, Traits } from "./protocol.js" */
/** @import { Command } from "./shortcuts.js" */
/** @import { AnyTool } from "./tools.js" */

/** @param {{model: Model, el: HTMLElement}} view */
function render({ model, el }) {
  const queue = new ActionQueue(Math.floor(Math.random() * 1e6) * 1e3);
  const s = createState();
  const panels = createPanels(model, {
    command,
    brush: setBrush,
    window: (level, width) => {
      s.window = fromLevelWidth(level, width);
      drawing.buildImageLayer();
    },
    save,
    send: enqueue,
  });
  const { root, canvas } = panels;
  const drawing = createDrawing(canvas, model, s, () => shownInteractions(model, queue), (now) => {
    for (const done of s.finished) {
      // the time from the first action's event to the frame that drew the answer (DevTools'
      // Performance panel shows it; benchmarks read it with performance.getEntriesByName)
      performance.measure("mvw-answer", { start: done.since ?? now, end: now });
    }
    s.finished = [];
    showBusy();
  });
  listen({ canvas, root, model, state: s, send: enqueue, command, redraw: drawing.schedule });
  el.append(root);
  // the canvas follows the cell's width and the viewport's height (laid out after the resize)
  let laying = 0;
  const relayout = () => {
    if (!laying) laying = requestAnimationFrame(() => { laying = 0; panels.layout(s.image); });
  };
  const resized = new ResizeObserver(relayout);
  resized.observe(root);
  window.addEventListener("resize", relayout);

  // ---- sending ------------------------------------------------------------------------------
  /** @param {Queued} action */
  function enqueue(action) {
    queue.push(action, performance.now());
    pump();
    if (!drawing.drawQueued(action)) drawing.redrawStrokes();
  }

  function showStatus() {
    panels.showStatus(queue.size, queue.latest("suggest") !== undefined);
    showBusy();
  }

  /**
   * aria-busy on the widget: "true" while an action waits for the kernel's answer or an answer
   * waits for the frame that draws it (assistive technology waits for the widget to settle).
   */
  function showBusy() {
    const busy = String(queue.size > 0 || s.finished.length > 0);
    if (root.getAttribute("aria-busy") !== busy) root.setAttribute("aria-busy", busy);
  }

  function pump() {
    const batch = queue.take();
    if (batch) {
      const actions = toWire(batch.actions, model.get("interactions"), model.get("log_version"));
      model.send({ type: "actions", request: batch.id, actions });
      performance.mark("mvw-request");
    }
    showStatus();
  }

  /**
   * @template {DisplayTrait} K
   * @param {K} name
   * @param {Traits[K]} value
   */
  function save(name, value) {
    model.set(name, value);
    model.save_changes();
  }

  // ---- commands -----------------------------------------------------------------------------
  /** @param {AnyTool} tool */
  function setTool(tool) {
    s.tool = tool;
    panels.showTool(tool);
  }

  /** @param {number} value */
  function setBrush(value) {
    save("brush", clamp(Math.round(value), MIN_BRUSH, SLIDER_MAX_BRUSH));
  }

  /** @param {Command} cmd */
  function command(cmd) {
    const tool = toolFor(cmd, TOOLS);
    if (tool) {
      setTool(tool);
      return;
    }
    switch (cmd) {
      case "toggle-sign":
        s.positive = !s.positive; panels.showSign(s.positive); break;
      case "undo": case "redo": case "clear": case "suggest":
        enqueue({ kind: cmd }); break;
      case "accept": accept(); break;
      case "next": enqueue({ kind: "navigate", index: null, by: 1 }); break;
      case "next-structure": {
        // after the switch still on its way, if there is one: s s goes two structures on
        const from = queue.latest("structure")?.name ?? model.get("structure");
        const name = nextStructure(model.get("structures"), from);
        if (name !== from) enqueue({ kind: "structure", name });
        break;
      }
      case "previous": enqueue({ kind: "navigate", index: null, by: -1 }); break;
      case "brush-down": setBrush(model.get("brush") - 1); break;
      case "brush-up": setBrush(model.get("brush") + 1); break;
      case "overlay":
        s.overlay = !s.overlay; panels.showOverlay(s.overlay); drawing.schedule(); break;
      case "fit": s.userView = false; drawing.fit(); break;
      case "auto-window":
        if (s.image) { s.window = s.image.range; panels.showWindow(s.window); drawing.buildImageLayer(); }
        break;
      case "help": s.help = !s.help; panels.showHelp(s.help); break;
      case "escape":
        s.drag = null; s.help = false; panels.showHelp(false); setConfirm(false); panels.closeExportQuestion();
        drawing.schedule(); break;
    }
  }

  /**
   * Accept the mask shown. An empty one (nothing on its way that may change it) is accepted
   * only once the user confirms it: the question, then accept again (enter or its button).
   */
  function accept() {
    if (s.confirming) {
      setConfirm(false);
      enqueue({ kind: "accept", allow_empty: true });
    } else if (queue.size === 0 && s.mask && countMask(s.mask.data) === 0) {
      setConfirm(true);
    } else {
      enqueue({ kind: "accept" });
    }
  }

  /** @param {boolean} open */
  function setConfirm(open) {
    s.confirming = open;
    panels.showConfirm(open);
    if (!open && root.contains(document.activeElement)) canvas.focus();
  }

  // ---- kernel state -> view -----------------------------------------------------------------
  function onImage() {
    drawing.setImage(model.get("image"));
    relayout();
    if (s.image) panels.showWindowRange(s.image);
    panels.showWindow(s.window);
  }

  function onMask() {
    drawing.setMask(model.get("mask"));
  }

  function onOthers() {
    drawing.buildOtherLayers();
  }

  function onStructure() {
    drawing.buildMaskLayer();
    onOthers();
    panels.renderGallery();
  }

  function onAck() {
    const done = queue.ack(model.get("ack"));
    if (!done || !readOnly(done)) panels.answered();
    if (done) {
      s.finished.push(done);
      drawing.schedule();
    }
    pump();
    drawing.redrawStrokes();
  }

  const listeners = {
    "change:image": onImage,
    "change:mask": onMask,
    "change:overlay_mode": drawing.buildMaskLayer,
    "change:opacity": () => { panels.showOpacity(); drawing.schedule(); },
    "change:brush": panels.showBrush,
    "change:interactions": drawing.redrawStrokes,
    "change:ack": onAck,
    "change:progress change:confidence change:index change:structure change:context_used": () => {
      if (s.confirming) setConfirm(false);
      panels.renderStrip();
      panels.markCurrent();
    },
    "change:gallery": () => { panels.renderGallery(); panels.renderStrip(); },
    "change:thumbnails": panels.showThumbnails,
    "change:export_bar": panels.showExportQuestion,
    "change:structures change:structure change:colors": panels.renderStructures,
    "change:structure change:colors": onStructure,
    "change:others": onOthers,
    "change:model_info": panels.showModel,
    "change:prompts_per_accept change:structure": panels.renderChart,
    change: showStatus,
  };
  for (const [event, fn] of Object.entries(listeners)) model.on(event, fn);

  setTool(s.tool);
  panels.showSign(s.positive);
  panels.showOverlay(s.overlay);
  panels.showConfirm(false);
  panels.showOpacity();
  panels.showBrush();
  onImage();
  onMask();
  onOthers();
  drawing.redrawStrokes();
  panels.renderStrip();
  panels.renderGallery();
  panels.renderStructures();
  panels.showModel();
  panels.renderChart();
  showStatus();

  return () => {
    for (const [event, fn] of Object.entries(listeners)) model.off(event, fn);
    resized.disconnect();
    window.removeEventListener("resize", relayout);
    if (laying) cancelAnimationFrame(laying);
    drawing.dispose();
    panels.dispose();
  };
}

export default { render };
