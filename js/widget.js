// The SegmentWidget front end: canvas (image, overlay, prompts), toolbar, status line, dataset
// strip and context gallery. State lives in the kernel; this view draws it and sends actions.

import { decodeArray } from "./codec.js";
import { countMask, defaultWindow, fromLevelWidth, maskToRGBA, toLevelWidth, windowToRGBA } from "./image.js";
import { ActionQueue } from "./queue.js";
import { commandForKey, HELP } from "./shortcuts.js";
import { rasteriseStroke, smoothStroke, strokeHit } from "./strokes.js";
import { boxFromDrag, clamp, fitView, imageToScreen, panBy, screenToImage, screenToPixel, zoomAt } from "./view.js";

const COLORS = { mask: [255, 170, 0], positive: [40, 220, 90], negative: [240, 60, 60] };
const TOOLS = { click: "Click (1)", box: "Box (2)", scribble: "Scribble (3)", eraser: "Eraser (4)" };
const STAGE_HEIGHT = 480;
const FOCUSABLE = new Set(["canvas", "button", "input", "select"]);

function h(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (k in node && k !== "list") node[k] = v;
    else node.setAttribute(k, v);
  }
  for (const child of children) node.append(child);
  // Lumino (JupyterLab, Notebook 7) matches shortcut selectors such as "... :focus" against the
  // focused element itself before it looks at its parents: every focusable element needs the mark.
  if (FOCUSABLE.has(tag)) node.setAttribute("data-lm-suppress-shortcuts", "true");
  return node;
}

function layer(w, h_, rgba) {
  const canvas = h("canvas", { width: w, height: h_ });
  canvas.getContext("2d").putImageData(new ImageData(rgba, w, h_), 0, 0);
  return canvas;
}

function render({ model, el }) {
  const queue = new ActionQueue(Math.floor(Math.random() * 1e6) * 1e3);
  const s = {
    tool: "click",
    positive: true,
    overlay: true,
    help: false,
    view: { scale: 1, tx: 0, ty: 0 },
    userView: false,
    image: null, // {w, h, channels, dtype, data, range}
    window: [0, 255],
    imageLayer: null,
    maskLayer: null,
    mask: null,
    strokeLayer: null,
    drag: null,
    space: false,
    finished: [],
    frame: 0,
  };

  // ---- DOM --------------------------------------------------------------------------------
  const canvas = h("canvas", { className: "mvw-canvas", tabIndex: 0 });
  const ctx = canvas.getContext("2d");
  const toolButtons = Object.fromEntries(
    Object.entries(TOOLS).map(([tool, label]) => [
      tool,
      h("button", { className: "mvw-tool", textContent: label, onclick: () => setTool(tool) }),
    ]),
  );
  const sign = h("button", { onclick: () => command("toggle-sign") });
  const brush = h("input", { type: "range", min: 1, max: 64, step: 1, oninput: () => setBrush(+brush.value) });
  const brushLabel = h("span", { className: "mvw-label" });
  const opacity = h("input", {
    type: "range", min: 0, max: 1, step: 0.05,
    oninput: () => save("opacity", +opacity.value),
  });
  const display = h("select", { onchange: () => save("overlay_mode", display.value) }, [
    h("option", { value: "fill", textContent: "fill" }),
    h("option", { value: "contour", textContent: "contour" }),
  ]);
  const overlayBox = h("input", { type: "checkbox", checked: true, onchange: () => command("overlay") });
  const level = h("input", { type: "range", oninput: () => setLevelWidth() });
  const width = h("input", { type: "range", oninput: () => setLevelWidth() });
  const button = (text, cmd, title = "") => h("button", { textContent: text, title, onclick: () => command(cmd) });
  const acceptButton = button("Accept & next (enter)", "accept");
  acceptButton.classList.add("mvw-primary");
  const toolbar = h("div", { className: "mvw-toolbar" }, [
    ...Object.values(toolButtons), sign, h("label", {}, [" brush ", brush, brushLabel]),
    button("Undo", "undo", "z"), button("Redo", "redo", "shift + z"), button("Clear", "clear"),
    acceptButton, button("◀ Prev", "previous", "p"), button("Next ▶", "next", "n"),
    button("Fit", "fit", "f"), button("?", "help", "shortcuts"),
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
  const strip = h("div", { className: "mvw-strip" });
  const progressText = h("span", { className: "mvw-label" });
  const gallery = h("div", { className: "mvw-gallery" });
  const galleryTitle = h("div", { className: "mvw-label" });
  const root = h("div", { className: "mvw-root", tabIndex: -1 }, [
    toolbar, viewbar, stage,
    h("div", { className: "mvw-status" }, [spinner, statusText, errorText]),
    h("div", { className: "mvw-progress" }, [progressText, strip, button("Suggest next", "suggest", "the image the model is least sure about")]),
    galleryTitle, gallery,
  ]);
  root.setAttribute("data-lm-suppress-shortcuts", "true");
  el.append(root);

  // ---- sending ------------------------------------------------------------------------------
  function enqueue(action) {
    queue.push(action, performance.now());
    pump();
    redrawStrokes();
  }

  function pump() {
    const batch = queue.take();
    if (batch) {
      model.send({ type: "actions", request: batch.id, actions: batch.actions });
      root.dataset.requests = String(+(root.dataset.requests || 0) + 1);
    }
    updateStatus();
  }

  function save(name, value) {
    model.set(name, value);
    model.save_changes();
  }

  // ---- commands -----------------------------------------------------------------------------
  function setTool(tool) {
    s.tool = tool;
    for (const [t, b] of Object.entries(toolButtons)) b.classList.toggle("mvw-active", t === tool);
    root.dataset.tool = tool;
    canvas.style.cursor = tool === "click" ? "crosshair" : tool === "eraser" ? "cell" : "default";
  }

  function setBrush(value) {
    save("brush", clamp(Math.round(value), 1, 64));
  }

  function setLevelWidth() {
    s.window = fromLevelWidth(+level.value, +width.value);
    buildImageLayer();
  }

  function command(cmd) {
    switch (cmd) {
      case "tool-click": case "tool-box": case "tool-scribble": case "tool-eraser":
        setTool(cmd.slice(5)); break;
      case "toggle-sign":
        s.positive = !s.positive; updateSign(); break;
      case "undo": case "redo": case "clear": case "accept": case "suggest":
        enqueue({ kind: cmd }); break;
      case "next": enqueue({ kind: "navigate", index: null, by: 1 }); break;
      case "previous": enqueue({ kind: "navigate", index: null, by: -1 }); break;
      case "brush-down": setBrush(model.get("brush") - 1); break;
      case "brush-up": setBrush(model.get("brush") + 1); break;
      case "overlay":
        s.overlay = !s.overlay; overlayBox.checked = s.overlay; root.dataset.overlay = s.overlay ? "on" : "off";
        scheduleDraw(); break;
      case "fit": s.userView = false; fit(); break;
      case "auto-window": if (s.image) { s.window = s.image.range; syncWindowInputs(); buildImageLayer(); } break;
      case "help": s.help = !s.help; helpBox.hidden = !s.help; break;
      case "escape": s.drag = null; s.help = false; helpBox.hidden = true; scheduleDraw(); break;
    }
  }

  function updateSign() {
    sign.textContent = s.positive ? "+ positive (x)" : "− negative (x)";
    sign.className = s.positive ? "mvw-positive" : "mvw-negative";
    root.dataset.positive = String(s.positive);
  }

  // ---- kernel state -> layers ------------------------------------------------------------
  function onImage() {
    const { shape, dtype, data } = decodeArray(model.get("image"));
    const channels = shape.length === 3 ? shape[2] : 1;
    const range = defaultWindow(data, dtype);
    s.image = { w: shape[1], h: shape[0], channels, dtype, data, range };
    s.window = range;
    const lo = Math.min(...range, ...(dtype === "uint8" ? [0, 255] : []));
    const span = Math.max(range[1] - range[0], 1e-6);
    for (const input of [level, width]) input.step = span / 200;
    level.min = lo - span; level.max = range[1] + span;
    width.min = span / 100; width.max = span * 4;
    syncWindowInputs();
    buildImageLayer();
    if (!s.userView) fit();
  }

  function syncWindowInputs() {
    const lw = toLevelWidth(s.window);
    level.value = lw.level;
    width.value = lw.width;
  }

  function buildImageLayer() {
    const { w, h: height, channels, data } = s.image;
    s.imageLayer = layer(w, height, windowToRGBA(data, w, height, channels, s.window));
    scheduleDraw();
  }

  function onMask() {
    const { shape, data } = decodeArray(model.get("mask"));
    s.mask = { w: shape[1], h: shape[0], data };
    root.dataset.maskPixels = String(countMask(data));
    buildMaskLayer();
  }

  function buildMaskLayer() {
    if (!s.mask) return;
    const { w, h: height, data } = s.mask;
    s.maskLayer = layer(w, height, maskToRGBA(data, w, height, COLORS.mask, model.get("overlay_mode")));
    scheduleDraw();
  }

  function shownInteractions() {
    return [...model.get("interactions"), ...queue.optimistic()];
  }

  function redrawStrokes() {
    if (!s.image) return;
    const { w, h: height } = s.image;
    const labels = new Uint8Array(w * height);
    for (const a of shownInteractions()) {
      if (a.kind === "scribble") rasteriseStroke(labels, w, height, a.points, a.width, a.positive ? 1 : 2);
    }
    const rgba = new Uint8ClampedArray(w * height * 4);
    labels.forEach((v, i) => {
      if (v) rgba.set([...(v === 1 ? COLORS.positive : COLORS.negative), 255], i * 4);
    });
    s.strokeLayer = layer(w, height, rgba);
    scheduleDraw();
  }

  function onAck() {
    const done = queue.ack(model.get("ack"));
    if (done) {
      s.finished.push(done);
      root.dataset.ack = String(done.id);
      scheduleDraw();
    }
    pump();
    redrawStrokes();
  }

  // ---- drawing ------------------------------------------------------------------------------
  function fit() {
    if (!s.image) return;
    s.view = fitView(canvas.clientWidth || 1, canvas.clientHeight || 1, s.image.w, s.image.h);
    scheduleDraw();
  }

  function scheduleDraw() {
    if (!s.frame) s.frame = requestAnimationFrame(draw);
  }

  function draw() {
    s.frame = 0;
    const dpr = window.devicePixelRatio || 1;
    const cw = canvas.clientWidth;
    const ch = canvas.clientHeight;
    if (canvas.width !== Math.round(cw * dpr) || canvas.height !== Math.round(ch * dpr)) {
      canvas.width = Math.round(cw * dpr);
      canvas.height = Math.round(ch * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, cw, ch);
    if (s.image) {
      const v = s.view;
      ctx.save();
      ctx.setTransform(dpr * v.scale, 0, 0, dpr * v.scale, dpr * v.tx, dpr * v.ty);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(s.imageLayer, 0, 0);
      if (s.overlay && s.maskLayer) {
        ctx.globalAlpha = model.get("opacity");
        ctx.drawImage(s.maskLayer, 0, 0);
      }
      ctx.globalAlpha = 0.8;
      if (s.strokeLayer) ctx.drawImage(s.strokeLayer, 0, 0);
      ctx.restore();
      drawPrompts();
    }
    const now = performance.now();
    for (const done of s.finished) {
      root.dataset.latencyMs = (now - done.since).toFixed(1);
      root.dataset.drawn = String(done.id);
    }
    s.finished = [];
  }

  function drawPrompts() {
    const shown = shownInteractions();
    const boxes = shown.filter((a) => a.kind === "box");
    const box = s.drag?.kind === "box" ? boxFromDrag(s.view, s.drag.a, s.drag.b, s.image.w, s.image.h) : boxes.at(-1)?.box;
    if (box) {
      ctx.strokeStyle = "#4af";
      ctx.lineWidth = 2;
      const v = s.view;
      ctx.strokeRect(box[0] * v.scale + v.tx, box[1] * v.scale + v.ty, (box[2] - box[0]) * v.scale, (box[3] - box[1]) * v.scale);
    }
    for (const a of shown.filter((a) => a.kind === "click")) {
      const { sx, sy } = imageToScreen(s.view, a.x, a.y);
      ctx.beginPath();
      ctx.arc(sx, sy, 5, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${(a.positive ? COLORS.positive : COLORS.negative).join(",")})`;
      ctx.fill();
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    const d = s.drag;
    if (d && (d.kind === "scribble" || d.kind === "erase") && d.points.length) {
      ctx.beginPath();
      for (const [x, y] of d.points) {
        const p = imageToScreen(s.view, x, y);
        ctx.lineTo(p.sx, p.sy);
      }
      ctx.lineCap = ctx.lineJoin = "round";
      ctx.lineWidth = Math.max(model.get("brush") * s.view.scale, 1);
      const color = d.kind === "erase" ? [200, 200, 200] : d.positive ? COLORS.positive : COLORS.negative;
      ctx.strokeStyle = `rgba(${color.join(",")},0.7)`;
      ctx.stroke();
    }
  }

  // ---- status, strip, gallery -----------------------------------------------------------
  function updateStatus() {
    const statuses = model.get("statuses");
    const accepted = statuses.filter((x) => x === "accepted").length;
    const seconds = model.get("seconds");
    statusText.textContent =
      `image ${model.get("index") + 1} of ${statuses.length} · ${model.get("name")} · ` +
      `accepted ${accepted} · context ${model.get("gallery").length} · ` +
      `last prediction ${seconds ? `${Math.round(seconds * 1000)} ms` : "–"}`;
    errorText.textContent = model.get("error");
    const busy = queue.size > 0;
    spinner.classList.toggle("mvw-on", busy);
    root.dataset.busy = String(busy);
    root.dataset.pending = String(queue.size);
    root.dataset.index = String(model.get("index"));
    progressText.textContent = `${accepted} / ${statuses.length} accepted`;
  }

  function navigateTo(index) {
    enqueue({ kind: "navigate", index, by: 0 });
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
    galleryTitle.textContent = `Context set (${items.length})${items.length ? "" : ": accept an image to add it"}`;
    gallery.replaceChildren(
      ...items.map((item, k) => {
        const img = decodeArray(item.image);
        const mask = decodeArray(item.mask);
        const [th, tw] = img.shape;
        const rgba = windowToRGBA(img.data, tw, th, 1, [0, 255]);
        mask.data.forEach((m, i) => {
          if (m) for (let c = 0; c < 3; c++) rgba[i * 4 + c] = (rgba[i * 4 + c] + COLORS.mask[c]) / 2;
        });
        return h("div", { className: `mvw-thumb${item.index === current ? " mvw-current" : ""}`, title: item.name }, [
          h("div", { onclick: () => navigateTo(item.index) }, [layer(tw, th, rgba)]),
          h("span", { className: "mvw-label", textContent: `#${item.index + 1}` }),
          h("button", {
            className: "mvw-remove", textContent: "×", title: "remove from the context set",
            onclick: () => enqueue({ kind: "remove_context", entry: k }),
          }),
        ]);
      }),
    );
  }

  // ---- pointer, wheel, keys -------------------------------------------------------------
  function local(e) {
    const r = canvas.getBoundingClientRect();
    return { sx: e.clientX - r.left, sy: e.clientY - r.top };
  }

  function pixel(p) {
    const { u, v } = screenToImage(s.view, p.sx, p.sy);
    return [clamp(u - 0.5, 0, s.image.w - 1), clamp(v - 0.5, 0, s.image.h - 1)];
  }

  function onPointerDown(e) {
    canvas.focus();
    if (!s.image) return;
    const p = local(e);
    e.preventDefault();
    canvas.setPointerCapture(e.pointerId);
    if (e.button === 1 || (e.button === 0 && s.space)) {
      s.drag = { kind: "pan", last: p };
      return;
    }
    if (e.button !== 0 && e.button !== 2) return;
    const positive = s.positive !== (e.button === 2 || e.shiftKey);
    if (s.tool === "click") {
      const px = screenToPixel(s.view, p.sx, p.sy, s.image.w, s.image.h);
      if (px) enqueue({ kind: "click", x: px.x, y: px.y, positive });
    } else if (s.tool === "box") {
      s.drag = { kind: "box", a: p, b: p };
    } else {
      s.drag = { kind: s.tool === "eraser" ? "erase" : "scribble", positive, points: [pixel(p)] };
    }
  }

  function onPointerMove(e) {
    const d = s.drag;
    if (!d) return;
    const p = local(e);
    if (d.kind === "pan") {
      s.view = panBy(s.view, p.sx - d.last.sx, p.sy - d.last.sy);
      s.userView = true;
      d.last = p;
    } else if (d.kind === "box") {
      d.b = p;
    } else {
      d.points.push(pixel(p));
    }
    scheduleDraw();
  }

  function onPointerUp() {
    const d = s.drag;
    s.drag = null;
    if (!d) return;
    if (d.kind === "box") {
      const box = boxFromDrag(s.view, d.a, d.b, s.image.w, s.image.h);
      if (box) enqueue({ kind: "box", box });
    } else if (d.kind === "scribble") {
      enqueue({ kind: "scribble", points: smoothStroke(d.points), positive: d.positive, width: model.get("brush") });
    } else if (d.kind === "erase") {
      const radius = model.get("brush") / 2;
      const hit = model.get("interactions").filter((a) => a.kind === "scribble" && strokeHit(a, d.points, radius));
      if (hit.length) enqueue({ kind: "erase", strokes: hit });
    }
    scheduleDraw();
  }

  function onWheel(e) {
    if (!s.image) return;
    e.preventDefault();
    const p = local(e);
    s.view = zoomAt(s.view, p.sx, p.sy, Math.exp(-e.deltaY * 0.0015));
    s.userView = true;
    scheduleDraw();
  }

  function onKeyDown(e) {
    if (e.target instanceof HTMLInputElement && e.target.type !== "range" && e.target.type !== "checkbox") return;
    if (e.key === " ") {
      s.space = true;
      e.preventDefault();
      return;
    }
    const cmd = commandForKey(e);
    if (!cmd) return;
    e.preventDefault();
    e.stopPropagation();
    command(cmd);
  }

  canvas.addEventListener("pointerdown", onPointerDown);
  canvas.addEventListener("pointermove", onPointerMove);
  canvas.addEventListener("pointerup", onPointerUp);
  canvas.addEventListener("pointercancel", () => { s.drag = null; scheduleDraw(); });
  // right click is a negative click: neither the browser's nor JupyterLab's context menu
  canvas.setAttribute("data-jp-suppress-context-menu", "true");
  canvas.addEventListener("contextmenu", (e) => {
    e.preventDefault();
    e.stopPropagation();
  });
  canvas.addEventListener("wheel", onWheel, { passive: false });
  root.addEventListener("keydown", onKeyDown);
  root.addEventListener("keyup", (e) => { if (e.key === " ") s.space = false; });
  const resize = new ResizeObserver(() => (s.userView ? scheduleDraw() : fit()));
  resize.observe(canvas);
  canvas.style.height = `${STAGE_HEIGHT}px`;

  const listeners = {
    "change:image": onImage,
    "change:mask": onMask,
    "change:overlay_mode": buildMaskLayer,
    "change:opacity": () => { opacity.value = model.get("opacity"); scheduleDraw(); },
    "change:brush": () => { brush.value = model.get("brush"); brushLabel.textContent = ` ${model.get("brush")} px`; },
    "change:interactions": redrawStrokes,
    "change:ack": onAck,
    "change:statuses change:index": () => { renderStrip(); renderGallery(); },
    "change:gallery": renderGallery,
    change: updateStatus,
  };
  for (const [event, fn] of Object.entries(listeners)) model.on(event, fn);

  setTool("click");
  updateSign();
  display.value = model.get("overlay_mode");
  opacity.value = model.get("opacity");
  listeners["change:brush"]();
  root.dataset.overlay = "on";
  root.dataset.ack = root.dataset.drawn = "0";
  onImage();
  onMask();
  redrawStrokes();
  renderStrip();
  renderGallery();
  updateStatus();

  return () => {
    for (const [event, fn] of Object.entries(listeners)) model.off(event, fn);
    resize.disconnect();
    if (s.frame) cancelAnimationFrame(s.frame);
  };
}

export default { render };
