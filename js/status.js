// @ts-check
// What the status line says, on one line whatever its length (a line that wrapped made the
// canvas above it jump at every change): the image (its number, its name elided in the middle,
// its state), the news (the last request's notice), then the details (the counts, the context
// set's estimate, the last prediction's time), which the line cuts where it ends. Its title says
// all of it, one part a line, the name in full.

export const NAME_CHARS = 24; // the longest name shown whole, e.g. "very_long_name…_0042.png"

/**
 * `text` in at most `max` characters: its start (a plate, a well) and its end (a number, the
 * suffix: where names that share a prefix differ), an ellipsis between.
 * @param {string} text
 * @param {number} max
 */
export function middle(text, max = NAME_CHARS) {
  const chars = [...text]; // code points: an ellipsis never splits a surrogate pair
  if (chars.length <= max) return text;
  const tail = Math.floor((max - 1) * 0.4);
  return `${chars.slice(0, max - 1 - tail).join("")}…${chars.slice(-tail).join("")}`;
}

/**
 * What the status line says last: while a suggestion is on its way, that the open images are
 * being predicted (the first suggestion for a context set takes a while); else the kernel's
 * notice of the last request ("" if none).
 * @param {boolean} suggesting
 * @param {string} notice
 */
export function statusNotice(suggesting, notice) {
  return suggesting ? "suggest next: predicting the open images from the context set…" : notice;
}

/**
 * The status line's count of context images: all of them, or, when the prediction shown used
 * only some (a bounded context keeps the most like the image), how many of them.
 * @param {number} used the context images the prediction used
 * @param {number} size the context set's images
 * @returns {string}
 */
export function contextCount(used, size) {
  return used > 0 && used < size ? `context ${used} of ${size}` : `context ${size}`;
}

/**
 * What the status line tells: the image shown (0-based index, of count), its name and state,
 * the notice, the structure and its accepted images, the context count (contextCount), the
 * context set's estimate ("" if none) and the last prediction's time (s; 0: none yet).
 * @typedef {{index: number, count: number, name: string, state: string, notice: string,
 *   structure: string, accepted: number, context: string, note: string, seconds: number}} StatusFacts
 */

/**
 * The status line's parts: `image` ("image 2 of 6 · name · state"), `news` and `details` (each
 * starting with its separator, " · "; news "" without a notice), and `title`, the whole of it.
 * @param {StatusFacts} f
 * @returns {{image: string, news: string, details: string, title: string}}
 */
export function statusLine(f) {
  const number = `image ${f.index + 1} of ${f.count}`;
  const prediction = `last prediction ${f.seconds ? `${Math.round(f.seconds * 1000)} ms` : "–"}`;
  const details = [`${f.structure}: accepted ${f.accepted}`, f.context, f.note, prediction].filter(Boolean);
  return {
    image: [number, middle(f.name), f.state].join(" · "),
    news: f.notice ? ` · ${f.notice}` : "",
    details: ` · ${details.join(" · ")}`,
    title: [[number, f.name, f.state].join(" · "), f.notice, ...details].filter(Boolean).join("\n"),
  };
}
