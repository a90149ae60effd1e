import assert from "node:assert/strict";
import { test } from "node:test";
import { toolButtons } from "../../js/panels.js";
import { INTERACTIONS } from "../../js/queue.js";
import { commandForKey, HELP, helpRows, keyMap } from "../../js/shortcuts.js";
import { TOOLS, toolCommand, toolFor } from "../../js/tools.js";
import { MAX_STROKE_POINTS } from "../../js/generated/protocol.js";
import { defineTool, freehand } from "../../js/tools/tool.js";

const press = (k, keys) => commandForKey({ key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false }, keys);

// A tool the registry does not have: only its module's fields, no code anywhere else.
const polygon = defineTool({
  name: "polygon",
  key: "6",
  label: "Polygon",
  icon: "M4 4L20 8L12 20z",
  title: "click the corners of the object",
  cursor: "crosshair",
  sends: "polygon",
  press: () => null,
});

test("every tool has its own name, key and kind, and shows itself", () => {
  assert.deepEqual(TOOLS.map((t) => t.name), ["click", "box", "scribble", "eraser", "paint"]);
  for (const field of ["name", "key", "sends"]) {
    const values = TOOLS.map((t) => t[field]);
    assert.equal(new Set(values).size, values.length, `${field}: ${values}`);
  }
  for (const t of TOOLS) {
    assert.equal(t.key.length, 1, t.name);
    assert.ok(t.label && t.title && t.cursor, t.name);
    assert.match(t.icon, /^M[-\d .,a-zA-Z]+$/, `${t.name}.icon: SVG path data`);
    for (const handler of ["press", "paint", "draw", "is"]) assert.equal(typeof t[handler], "function", `${t.name}.${handler}`);
  }
  assert.deepEqual([...INTERACTIONS], TOOLS.map((t) => t.sends)); // the queue's, from the registry
});

test("the toolbar and the shortcuts are the registry's", () => {
  assert.deepEqual(toolButtons(TOOLS).map((b) => [b.text, b.command]), [
    ["Click (1)", "tool-click"],
    ["Box (2)", "tool-box"],
    ["Scribble (3)", "tool-scribble"],
    ["Eraser (4)", "tool-eraser"],
    ["Paint (5)", "tool-paint"],
  ]);
  // the tooltip names the shortcut, then says what the tool does; the picture is the tool's
  assert.deepEqual(toolButtons(TOOLS).map((b) => b.title), TOOLS.map((t) => `${t.label} (${t.key}): ${t.title}`));
  assert.deepEqual(toolButtons(TOOLS).map((b) => b.icon), TOOLS.map((t) => t.icon));
  for (const t of TOOLS) {
    assert.equal(press(t.key), `tool-${t.name}`);
    assert.equal(toolFor(toolCommand(t), TOOLS), t);
  }
  assert.deepEqual(HELP[0], ["1 / 2 / 3 / 4 / 5", "click / box / scribble / eraser / paint tool"]);
  assert.equal(toolFor("undo", TOOLS), undefined);
  assert.equal(press("constructor"), null);
});

test("a new tool in a copy of the registry is in the toolbar, the key map and the help", () => {
  const tools = [...TOOLS, polygon];
  const buttons = toolButtons(tools);
  assert.equal(buttons.length, 6);
  assert.deepEqual(buttons.at(-1), {
    name: "polygon", icon: "M4 4L20 8L12 20z", text: "Polygon (6)", title: "Polygon (6): click the corners of the object",
    command: "tool-polygon",
  });
  const keys = keyMap(tools);
  assert.equal(keys["6"], "tool-polygon");
  assert.equal(press("6", keys), "tool-polygon");
  assert.equal(press("6"), null); // the shipped map is untouched
  assert.equal(press("x", keys), "toggle-sign");
  assert.equal(toolFor("tool-polygon", tools), polygon);
  assert.deepEqual(helpRows(tools)[0], ["1 / 2 / 3 / 4 / 5 / 6", "click / box / scribble / eraser / paint / polygon tool"]);
});

test("a key taken twice is refused", () => {
  assert.throws(() => keyMap([...TOOLS, { ...polygon, key: "2" }]), /key 2 is taken twice/);
  assert.throws(() => keyMap([...TOOLS, { ...polygon, key: "X" }]), /key x is taken twice/);
  assert.throws(() => keyMap([...TOOLS, { ...polygon, key: "z" }]), /key z is taken twice/);
});

// ---- what the tools' pointer handlers send: the kernel's messages, as before -------------------

const image = { w: 100, h: 80 };
const view = { scale: 2, tx: 10, ty: 20 }; // image pixel (x, y) is at screen ((x + 0.5) * 2 + 10, ...)
const at = (x, y) => ({ sx: (x + 0.5) * 2 + 10, sy: (y + 0.5) * 2 + 20 });
const scene = (log = []) => ({ view, image, brush: 4, log });
const tool = (name) => TOOLS.find((t) => t.name === name);

function drag(name, points, { positive = true, log = [] } = {}) {
  const sent = [];
  const gesture = tool(name).press({ ...scene(log), at: points[0], positive, send: (a) => sent.push(a) });
  for (const p of points.slice(1)) gesture?.move(p, scene(log));
  gesture?.release(scene(log));
  return { sent, gesture };
}

test("a click is sent at the press, inside the image only", () => {
  const { sent, gesture } = drag("click", [at(3, 4)], { positive: false });
  assert.equal(gesture, null);
  assert.deepEqual(sent, [{ kind: "click", x: 3, y: 4, positive: false }]);
  assert.deepEqual(drag("click", [{ sx: 0, sy: 0 }]).sent, []);
});

test("a box drag sends its end-exclusive box; a tiny one nothing", () => {
  assert.deepEqual(drag("box", [at(30, 20), at(10, 40)]).sent, [{ kind: "box", box: [10, 20, 31, 41] }]);
  assert.deepEqual(drag("box", [at(5, 5), at(5, 5)]).sent, []);
});

test("a scribble sends its smoothed path with the brush's width", () => {
  const { sent } = drag("scribble", [at(0, 0), at(2, 0), at(4, 0)], { positive: false });
  assert.deepEqual(sent, [{ kind: "scribble", points: [[0, 0], [2, 0], [4, 0]], positive: false, width: 4 }]);
});

test("the eraser sends its path only when it touches a scribble", () => {
  const log = [{ kind: "scribble", points: [[0, 10], [20, 10]], positive: true, width: 2 }];
  const across = [at(10, 6), at(10, 8), at(10, 12)];
  assert.deepEqual(drag("eraser", across, { log }).sent, [{ kind: "erase", path: [[10, 6], [10, 8], [10, 12]], radius: 2 }]);
  assert.deepEqual(drag("eraser", [at(10, 6), at(50, 50)], { log }).sent, []);
});

test("a paint stroke sends its path, sign and the brush's width; it is drawn until the kernel answers", () => {
  const { sent } = drag("paint", [at(0, 0), at(1, 0), at(4, 0)], { positive: false });
  assert.deepEqual(sent, [{ kind: "paint", points: [[0, 0], [1, 0], [4, 0]], positive: false, width: 4 }]);
  const lines = [];
  const ctx = new Proxy({}, { get: (_, name) => (name === "lineTo" ? (...p) => lines.push(p) : () => {}), set: () => true });
  const painter = { ctx, view: { scale: 1, tx: 0, ty: 0 }, w: 100, h: 80, brush: 4 };
  tool("paint").draw(painter, [{ kind: "scribble", points: [[9, 9]], positive: true, width: 1 }, ...sent], null);
  assert.equal(lines.length, 3); // the paint stroke's points, not the scribble's
});

test("each tool draws its own entries: the latest box, or the one being dragged", () => {
  const rects = [];
  const arcs = [];
  const ctx = new Proxy({}, {
    get: (_, name) =>
      name === "strokeRect" ? (...r) => rects.push(r) : name === "arc" ? (...a) => arcs.push(a) : () => {},
    set: () => true,
  });
  const painter = { ctx, view: { scale: 1, tx: 0, ty: 0 }, w: 100, h: 80, brush: 4 };
  const shown = [
    { kind: "box", box: [0, 0, 5, 5] },
    { kind: "click", x: 1, y: 1, positive: true },
    { kind: "box", box: [1, 2, 11, 12] },
    { kind: "erase", path: [[1, 1]], radius: 1 },
  ];
  for (const t of TOOLS) t.draw(painter, shown, null);
  assert.deepEqual(rects, [[1, 2, 10, 10]]);
  assert.equal(arcs.length, 1);
  rects.length = 0;
  const dragging = tool("box").press({ ...scene(), at: at(1, 1), positive: true, send: () => {} });
  tool("box").draw(painter, shown, dragging);
  assert.deepEqual(rects, []);
  const labels = new Uint8Array(100 * 80);
  for (const t of TOOLS) t.paint(labels, 100, 80, [...shown, { kind: "scribble", points: [[3, 3]], positive: false, width: 1 }]);
  assert.deepEqual([...labels.keys()].filter((i) => labels[i]), [3 * 100 + 3]);
  assert.equal(labels[303], 2);
});

test("only the scribble burns its prompts into the label layer (the others are marks)", () => {
  assert.deepEqual(TOOLS.filter((t) => t.paints).map((t) => t.name), ["scribble"]);
});

test("a drag longer than the kernel's MAX_STROKE_POINTS leaves as several strokes, joined end to start", () => {
  const sent = [];
  const scene = { view: { scale: 1, tx: 0, ty: 0 }, image: { w: 100000, h: 10 }, brush: 3, log: [] };
  const drag = freehand("paint", { ...scene, at: { sx: 0.5, sy: 0.5 } }, [0, 0, 0], (points) => sent.push(points));
  const moves = 2 * MAX_STROKE_POINTS + 10;
  for (let k = 1; k <= moves; k++) drag.move({ sx: 0.5 + k * 0.25, sy: 0.5 }, scene);
  drag.release(scene);
  assert.deepEqual(sent.map((s) => s.length), [MAX_STROKE_POINTS, MAX_STROKE_POINTS, 13]);
  for (let k = 1; k < sent.length; k++) assert.deepEqual(sent[k][0], sent[k - 1].at(-1));
  assert.deepEqual(sent.at(-1).at(-1), [moves * 0.25, 0]);
});
