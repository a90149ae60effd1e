import assert from "node:assert/strict";
import { test } from "node:test";
import { bundle, stale } from "../../js/bundle.mjs";

test("the shipped static files are the bundle of js/ (run node js/bundle.mjs)", () => {
  assert.deepEqual(stale(), []);
});

test("the bundle is one module that needs nothing else and exports render", async () => {
  const source = bundle()["widget.js"];
  assert.doesNotMatch(source, /^\s*import\s/m);
  const url = `data:text/javascript;base64,${Buffer.from(source).toString("base64")}`;
  const module = await import(url);
  assert.equal(typeof module.default.render, "function");
});
