// @ts-check
// Canvas rendering: the image through its window, the other structures' faint contours, the mask
// overlay in the current structure's colour (its fill at the chosen opacity, and its outline:
// OUTLINE screen pixels wide at any zoom, on a dark halo, so that it reads on bright and dark
// images alike: the mask's pixel edges stroked as a path), and each tool's prompts and drag in
// progress (tools.js), at the view's zoom and pan, at most once per animation frame; and the
// context thumbnails.

import { decodeArray } from "./codec.js";
import { context2d, h, layer } from "./dom.js";
import { maskEdges } from "./edges.js";
import { defaultWindow, maskToRGBA, windowToRGBA } from "./image.js";
import { colorOf, hexToRGB } from "./structures.js";
import { TOOLS } from "./tools.js";
import { SIGN_COLORS } from "./tools/tool.js";
import { fitView } from "./view.js";

/** @import { TypedArray } from "./codec.js" */
/** @import { RGB } from "./image.js" */
/** @import { EncodedArray, LogEntry, Model, Queued, Thumbnail } from "./protocol.js" */
/** @import { MaskLayer, ViewState } from "./state.js" */
/** @import { Painter } from "./tools/tool.js" */

/** The other structures' contours: faint, so that the current one stands out. */
const OTHERS_ALPHA = 0.55;
/** The outline's width and its halo's, in CSS pixels, at any zoom. */
const OUTLINE = 2;
const HALO = 1;
/** The tools' prompts, drawn last first: the first tools' marks (the clicks) lie on top. */
const DRAW_ORDER = [...TOOLS].reverse();

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
  const band = h("canvas"); // where an outline is made, at the canvas's size
  const bandCtx = context2d(band);
  const outlines = h("canvas"); // the outlines of the frame, kept while the view and the layers stay
  const outlinesCtx = context2d(outlines);
  /** What `outlines` shows: its layers, then the view and the canvas's size. @type {unknown[]} */
  let outlined = [];
  /** Whether the frame shown has a drag in progress on it (a mark drawn on it would stay). */
  let dragShown = false;

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
   * A new mask.
   * @param {EncodedArray} encoded
   */
  function setMask(encoded) {
    s.mask = decodeArray(encoded);
    buildMaskLayer();
  }

  /**
   * Structure `name`'s colour.
   * @param {string} name
   * @returns {RGB}
   */
  function colorFor(name) {
    return hexToRGB(colorOf(model.get("structures"), model.get("colors"), name));
  }

  function buildMaskLayer() {
    if (!s.mask) return;
    const [height, w] = s.mask.shape;
    const color = colorFor(model.get("structure"));
    s.maskLayer = maskLayer(s.mask.data, w, height, color);
    schedule();
  }

  /** The other structures' accepted masks of the image as layers (drawn as outlines). */
  function buildOtherLayers() {
    s.otherLayers = model.get("others").map(({ name, mask }) => {
      const { shape, data } = decodeArray(mask);
      return maskLayer(data, shape[1], shape[0], colorFor(name));
    });
    schedule();
  }

  /**
   * The layer of the prompts drawn as image pixels (the scribbles), under the marks; none when
   * no prompt paints a pixel (clicks and boxes only), so that frames skip drawing it.
   */
  function redrawStrokes() {
    if (!s.image) return;
    const { w, h: height } = s.image;
    const labels = new Uint8Array(w * height);
    const all = shown();
    for (const tool of TOOLS) tool.paint(labels, w, height, all);
    const rgba = new Uint8ClampedArray(w * height * 4);
    let painted = false;
    labels.forEach((v, i) => {
      if (!v) return;
      rgba.set([...(v === 1 ? SIGN_COLORS.positive : SIGN_COLORS.negative), 255], i * 4);
      painted = true;
    });
    s.strokeLayer = painted ? layer(w, height, rgba) : null;
    schedule();
  }

  function fit() {
    if (!s.image) return;
    s.view = fitView(canvas.clientWidth || 1, canvas.clientHeight || 1, s.image.w, s.image.h);
    schedule();
  }

  /**
   * A prompt just queued, drawn at once on the frame shown, when its tool burns nothing into the
   * stroke layer and that frame shows no drag: the next frame draws it with the rest. A whole
   * frame at the click took CPU from the click's prediction (about 15-30 ms of it on two cores);
   * returns false where a frame is needed instead.
   * @param {Queued} action
   */
  function drawQueued(action) {
    const tool = TOOLS.find((t) => t.is(action));
    if (!tool || tool.paints || s.frame || dragShown || !s.image) return false;
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    tool.draw({ ctx, view: s.view, w: s.image.w, h: s.image.h, brush: model.get("brush") }, [action], null);
    ctx.restore();
    return true;
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
      if (s.overlay && s.maskLayer && model.get("overlay_mode") === "fill") {
        ctx.globalAlpha = model.get("opacity");
        ctx.drawImage(s.maskLayer.pixels, 0, 0);
      }
      ctx.restore();
      if (s.overlay && canvas.width && canvas.height) drawOutlines(dpr);
      ctx.save();
      ctx.setTransform(dpr * v.scale, 0, 0, dpr * v.scale, dpr * v.tx, dpr * v.ty);
      ctx.imageSmoothingEnabled = false;
      ctx.globalAlpha = 0.8;
      if (s.strokeLayer) ctx.drawImage(s.strokeLayer, 0, 0);
      ctx.restore();
      drawPrompts(s.image.w, s.image.h);
    }
    onFrame(performance.now());
  }

  /**
   * The other structures' outlines (faint) and the mask's, made again only when a layer, the
   * view or the canvas's size changed.
   * @param {number} dpr
   */
  function drawOutlines(dpr) {
    const layers = [...s.otherLayers, ...(s.maskLayer ? [s.maskLayer] : [])];
    const key = [...layers, s.view.scale, s.view.tx, s.view.ty, canvas.width, canvas.height];
    if (key.length !== outlined.length || key.some((x, k) => x !== outlined[k])) {
      [outlines.width, outlines.height] = [canvas.width, canvas.height];
      layers.forEach((mask, k) => outline(mask, dpr, k < s.otherLayers.length ? OTHERS_ALPHA : 1));
      outlined = key;
    }
    ctx.save();
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(outlines, 0, 0);
    ctx.restore();
  }

  /**
   * A mask layer's outline: a band OUTLINE screen pixels wide in its colour just outside the
   * mask, then HALO more in black, whatever the zoom: its edges stroked twice as wide (the stroke
   * is centred on them) with round ends (a disc's reach), and the mask itself cut out.
   * @param {MaskLayer} mask
   * @param {number} dpr
   * @param {number} alpha
   */
  function outline(mask, dpr, alpha) {
    const v = s.view;
    if (band.width !== canvas.width || band.height !== canvas.height) [band.width, band.height] = [canvas.width, canvas.height];
    const b = bandCtx;
    b.setTransform(1, 0, 0, 1, 0, 0);
    b.globalCompositeOperation = "source-over";
    b.clearRect(0, 0, band.width, band.height);
    b.setTransform(dpr * v.scale, 0, 0, dpr * v.scale, dpr * v.tx, dpr * v.ty);
    b.lineCap = b.lineJoin = "round";
    b.globalAlpha = 0.7;
    b.strokeStyle = "#000";
    b.lineWidth = (2 * (OUTLINE + HALO)) / v.scale; // CSS pixels -> image pixels
    b.stroke(mask.edges);
    b.globalAlpha = 1;
    b.strokeStyle = mask.color;
    b.lineWidth = (2 * OUTLINE) / v.scale;
    b.stroke(mask.edges);
    b.globalCompositeOperation = "destination-out";
    b.imageSmoothingEnabled = false;
    b.drawImage(mask.pixels, 0, 0);
    outlinesCtx.globalAlpha = alpha;
    outlinesCtx.drawImage(band, 0, 0);
  }

  /**
   * Each tool's prompts on the canvas, then the drag in progress.
   * @param {number} w
   * @param {number} h
   */
  function drawPrompts(w, h) {
    /** @type {Painter} */
    const painter = { ctx, view: s.view, w, h, brush: model.get("brush") };
    const all = shown();
    for (const tool of DRAW_ORDER) tool.draw(painter, all, s.drag);
    s.drag?.draw(painter);
    dragShown = Boolean(s.drag);
  }

  const resize = new ResizeObserver(() => (s.userView ? schedule() : fit()));
  resize.observe(canvas);

  function dispose() {
    resize.disconnect();
    if (s.frame) cancelAnimationFrame(s.frame);
  }

  return {
    setImage, buildImageLayer, setMask, buildMaskLayer, buildOtherLayers, redrawStrokes, drawQueued, fit, schedule,
    dispose,
  };
}

/**
 * A mask's layer: its pixels in `color` and its edges as a path, both in image pixels.
 * @param {TypedArray} data H x W, non-zero inside
 * @param {number} w
 * @param {number} height
 * @param {RGB} color
 * @returns {MaskLayer}
 */
function maskLayer(data, w, height, color) {
  const edges = new Path2D();
  const segments = maskEdges(data, w, height);
  for (let i = 0; i < segments.length; i += 4) {
    edges.moveTo(segments[i], segments[i + 1]);
    edges.lineTo(segments[i + 2], segments[i + 3]);
  }
  return { pixels: layer(w, height, maskToRGBA(data, w, height, color)), edges, color: `rgb(${color.join(",")})` };
}

/**
 * A context thumbnail: the gray image with its mask blended in, in the structure's colour.
 * @param {Pick<Thumbnail, "image" | "mask">} item
 * @param {RGB} color
 */
export function thumbnail(item, color) {
  const img = decodeArray(item.image);
  const mask = decodeArray(item.mask);
  const [th, tw] = img.shape;
  const rgba = windowToRGBA(img.data, tw, th, 1, [0, 255]);
  mask.data.forEach((m, i) => {
    if (m) for (let c = 0; c < 3; c++) rgba[i * 4 + c] = (rgba[i * 4 + c] + color[c]) / 2;
  });
  return layer(tw, th, rgba);
}
