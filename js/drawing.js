// @ts-check
// Canvas rendering: the image through its window, the mask overlay, the strokes and the prompts,
// at the view's zoom and pan, at most once per animation frame; and the context thumbnails.

import { decodeArray } from "./codec.js";
import { context2d, layer } from "./dom.js";
import { countMask, defaultWindow, maskToRGBA, windowToRGBA } from "./image.js";
import { rasteriseStroke } from "./strokes.js";
import { boxFromDrag, fitView, imageToScreen } from "./view.js";

/** @import { RGB } from "./image.js" */
/** @import { EncodedArray, GalleryItem, LogEntry, Model, Queued } from "./protocol.js" */
/** @import { ViewState } from "./state.js" */

/** @type {{mask: RGB, positive: RGB, negative: RGB}} */
const COLORS = { mask: [255, 170, 0], positive: [40, 220, 90], negative: [240, 60, 60] };

/**
 * The drawing of one view: it keeps the layers in `s` and redraws the canvas when asked.
 * @param {HTMLCanvasElement} canvas
 * @param {Model} model
 * @param {ViewState} s
 * @param {() => (LogEntry | Queued)[]} shown the interactions to draw
 * @param {(now: number) => void} onFrame called after each frame is drawn
 */
export function createDrawing(canvas, model, s, shown, onFrame) {
  const ctx = context2d(canvas);

  /**
   * A new image: its default window, its layer, the view fitted (unless the user zoomed).
   * @param {EncodedArray} encoded
   */
  function setImage(encoded) {
    const decoded = decodeArray(encoded);
    const { shape } = decoded;
    const range = defaultWindow(decoded.data, decoded.dtype);
    s.image = { ...decoded, w: shape[1], h: shape[0], channels: shape.length === 3 ? shape[2] : 1, range };
    s.window = range;
    buildImageLayer();
    if (!s.userView) fit();
  }

  function buildImageLayer() {
    if (!s.image) return;
    const { w, h: height, channels, data } = s.image;
    s.imageLayer = layer(w, height, windowToRGBA(data, w, height, channels, s.window));
    schedule();
  }

  /**
   * A new mask; returns its pixel count.
   * @param {EncodedArray} encoded
   */
  function setMask(encoded) {
    s.mask = decodeArray(encoded);
    buildMaskLayer();
    return countMask(s.mask.data);
  }

  function buildMaskLayer() {
    if (!s.mask) return;
    const [height, w] = s.mask.shape;
    s.maskLayer = layer(w, height, maskToRGBA(s.mask.data, w, height, COLORS.mask, model.get("overlay_mode")));
    schedule();
  }

  function redrawStrokes() {
    if (!s.image) return;
    const { w, h: height } = s.image;
    const labels = new Uint8Array(w * height);
    for (const a of shown()) {
      if (a.kind !== "scribble") continue;
      rasteriseStroke(labels, w, height, a.points, a.width, a.positive ? 1 : 2, a.joined !== false);
    }
    const rgba = new Uint8ClampedArray(w * height * 4);
    labels.forEach((v, i) => {
      if (v) rgba.set([...(v === 1 ? COLORS.positive : COLORS.negative), 255], i * 4);
    });
    s.strokeLayer = layer(w, height, rgba);
    schedule();
  }

  function fit() {
    if (!s.image) return;
    s.view = fitView(canvas.clientWidth || 1, canvas.clientHeight || 1, s.image.w, s.image.h);
    schedule();
  }

  function schedule() {
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
    if (s.image && s.imageLayer) {
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
      drawPrompts(s.image.w, s.image.h);
    }
    onFrame(performance.now());
  }

  /**
   * The box (the one being dragged, else the latest), the clicks, and the path being drawn.
   * @param {number} w
   * @param {number} height
   */
  function drawPrompts(w, height) {
    const v = s.view;
    const d = s.drag;
    const all = shown();
    const boxes = all.flatMap((a) => (a.kind === "box" ? [a.box] : []));
    const box = d?.kind === "box" ? boxFromDrag(v, d.a, d.b, w, height) : boxes.at(-1);
    if (box) {
      ctx.strokeStyle = "#4af";
      ctx.lineWidth = 2;
      ctx.strokeRect(box[0] * v.scale + v.tx, box[1] * v.scale + v.ty, (box[2] - box[0]) * v.scale, (box[3] - box[1]) * v.scale);
    }
    for (const a of all) {
      if (a.kind !== "click") continue;
      const { sx, sy } = imageToScreen(v, a.x, a.y);
      ctx.beginPath();
      ctx.arc(sx, sy, 5, 0, 2 * Math.PI);
      ctx.fillStyle = `rgb(${(a.positive ? COLORS.positive : COLORS.negative).join(",")})`;
      ctx.fill();
      ctx.strokeStyle = "#fff";
      ctx.lineWidth = 1.5;
      ctx.stroke();
    }
    if (d && (d.kind === "scribble" || d.kind === "erase") && d.points.length) {
      ctx.beginPath();
      for (const [x, y] of d.points) {
        const p = imageToScreen(v, x, y);
        ctx.lineTo(p.sx, p.sy);
      }
      ctx.lineCap = ctx.lineJoin = "round";
      ctx.lineWidth = Math.max(model.get("brush") * v.scale, 1);
      const color = d.kind === "erase" ? [200, 200, 200] : d.positive ? COLORS.positive : COLORS.negative;
      ctx.strokeStyle = `rgba(${color.join(",")},0.7)`;
      ctx.stroke();
    }
  }

  const resize = new ResizeObserver(() => (s.userView ? schedule() : fit()));
  resize.observe(canvas);

  function dispose() {
    resize.disconnect();
    if (s.frame) cancelAnimationFrame(s.frame);
  }

  return { setImage, buildImageLayer, setMask, buildMaskLayer, redrawStrokes, fit, schedule, dispose };
}

/**
 * A context thumbnail: the gray image with its mask blended in.
 * @param {GalleryItem} item
 */
export function thumbnail(item) {
  const img = decodeArray(item.image);
  const mask = decodeArray(item.mask);
  const [th, tw] = img.shape;
  const rgba = windowToRGBA(img.data, tw, th, 1, [0, 255]);
  mask.data.forEach((m, i) => {
    if (m) for (let c = 0; c < 3; c++) rgba[i * 4 + c] = (rgba[i * 4 + c] + COLORS.mask[c]) / 2;
  });
  return layer(tw, th, rgba);
}
