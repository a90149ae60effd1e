import assert from "node:assert/strict";
import { test } from "node:test";
import { NAME_CHARS, contextCount, middle, statusLine, statusNotice } from "../../js/status.js";

test("a long name keeps its start and its end, an ellipsis between, in NAME_CHARS characters", () => {
  assert.equal(middle("image_0001.png"), "image_0001.png");
  const long = "very_long_name_of_a_microscopy_field_0042.png";
  const short = middle(long);
  assert.equal([...short].length, NAME_CHARS);
  assert.equal(short, "very_long_name…_0042.png");
  assert.equal(middle("a".repeat(NAME_CHARS)), "a".repeat(NAME_CHARS)); // as long as allowed: whole
  assert.equal(middle("🔬".repeat(30), 5), "🔬🔬🔬…🔬"); // characters, not UTF-16 halves
});

test("while a suggestion is on its way the status says the open images are being predicted", () => {
  assert.match(statusNotice(true, "old news"), /predicting the open images/);
  assert.equal(statusNotice(false, "suggested: the least sure, confidence 62%"), "suggested: the least sure, confidence 62%");
  assert.equal(statusNotice(false, ""), "");
});

test("the status counts the context images a bounded prediction used", () => {
  assert.equal(contextCount(0, 5), "context 5"); // no prediction from context yet
  assert.equal(contextCount(5, 5), "context 5");
  assert.equal(contextCount(3, 57), "context 3 of 57");
});

const FACTS = {
  index: 1, count: 6, name: "very_long_name_of_a_microscopy_field_0042.png", state: "new", notice: "",
  structure: "nuclei", accepted: 1, context: "context 1", note: "", seconds: 0.0684,
};

test("the status line: the image first, then the news, then the details; the title says it all", () => {
  const line = statusLine(FACTS);
  assert.equal(line.image, "image 2 of 6 · very_long_name…_0042.png · new");
  assert.equal(line.news, "");
  assert.equal(line.details, " · nuclei: accepted 1 · context 1 · last prediction 68 ms");
  assert.equal(line.title, `image 2 of 6 · ${FACTS.name} · new\nnuclei: accepted 1\ncontext 1\nlast prediction 68 ms`);
  const news = statusLine({ ...FACTS, notice: "suggested: the least sure", note: "context predicts this task at about 0.80 Dice", seconds: 0 });
  assert.equal(news.news, " · suggested: the least sure");
  assert.equal(news.details, " · nuclei: accepted 1 · context 1 · context predicts this task at about 0.80 Dice · last prediction –");
  assert.equal(news.title.split("\n")[1], "suggested: the least sure");
});
