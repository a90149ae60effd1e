import assert from "node:assert/strict";
import { test } from "node:test";
import { commandForKey, HELP } from "../../js/shortcuts.js";

const key = (k, mods = {}) => commandForKey({ key: k, shiftKey: false, ctrlKey: false, metaKey: false, altKey: false, ...mods });

test("the documented keys map to their commands", () => {
  assert.equal(key("1"), "tool-click");
  assert.equal(key("2"), "tool-box");
  assert.equal(key("3"), "tool-scribble");
  assert.equal(key("x"), "toggle-sign");
  assert.equal(key("Enter"), "accept");
  assert.equal(key("n"), "next");
  assert.equal(key("p"), "previous");
  assert.equal(key("s"), "next-structure");
  assert.equal(key("S"), "next-structure");
  assert.equal(key("["), "brush-down");
  assert.equal(key("]"), "brush-up");
  assert.equal(key("o"), "overlay");
  assert.equal(key("?", { shiftKey: true }), "help");
});

test("undo and redo with or without ctrl / cmd", () => {
  assert.equal(key("z"), "undo");
  assert.equal(key("z", { ctrlKey: true }), "undo");
  assert.equal(key("z", { metaKey: true }), "undo");
  assert.equal(key("Z", { shiftKey: true }), "redo");
  assert.equal(key("Z", { shiftKey: true, ctrlKey: true }), "redo");
});

test("other keys and modified letters are left alone", () => {
  assert.equal(key("q"), null);
  assert.equal(key("c", { ctrlKey: true }), null);
  assert.equal(key("n", { altKey: true }), null);
  assert.ok(HELP.length >= 10);
  assert.ok(HELP.some(([k, what]) => k === "s" && what === "next structure"));
});
