import assert from "node:assert/strict";
import { test } from "node:test";
import { newQuestion, overwriteAction } from "../../js/exportbar.js";

const question = { serial: 2, format: /** @type {const} */ ("png"), folder: "exports/png", text: "1 existing file (a.png) in /x would be overwritten" };

test("a question is asked once, when it arrives", () => {
  assert.equal(newQuestion({ folders: {} }, 0), null); // none yet
  assert.equal(newQuestion({ folders: {}, question }, 1), question); // a new one
  assert.equal(newQuestion({ folders: {}, question }, 2), null); // seen: a later answer keeps it
});

test("yes sends the export asked about again, allowed to overwrite", () => {
  assert.deepEqual(overwriteAction(question), { kind: "export", format: "png", folder: "exports/png", overwrite: true });
});

