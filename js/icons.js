// @ts-check
// The toolbar's pictures: SVG path data on a 24 x 24 grid, stroked in the text's colour (so they
// follow JupyterLab's light and dark themes). Inline: no font, no file, no CDN. The tools' own
// pictures are in their modules (js/tools/, `icon`).

/** The widget's own buttons' pictures. */
export const ICONS = {
  undo: "M9 14L4 9l5-5M4 9h11a5 5 0 0 1 0 10h-4",
  redo: "M15 14l5-5-5-5M20 9H9a5 5 0 0 0 0 10h4",
  clear: "M4 7h16M9 7V4h6v3M6 7l1 13h10l1-13",
  previous: "M15 5l-7 7 7 7",
  next: "M9 5l7 7-7 7",
  accept: "M4 12l5 5L20 6",
  overlay: "M2 12s4-7 10-7 10 7 10 7-4 7-10 7S2 12 2 12zM9 12a3 3 0 1 0 6 0a3 3 0 1 0 -6 0",
  fit: "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5",
  window: "M12 3a9 9 0 1 0 0 18a9 9 0 1 0 0-18zM12 3v18M12 8h9M12 13h9M12 17h7",
};

/**
 * A 16-px picture of this path, in the text's colour.
 * @param {string} path SVG path data on a 24 x 24 grid
 */
export function icon(path) {
  // the HTML parser puts <svg> in the SVG namespace (no namespace URL in the bundle)
  const parse = document.createElement("template");
  parse.innerHTML = '<svg class="mvw-icon" viewBox="0 0 24 24" aria-hidden="true"><path/></svg>';
  const svg = /** @type {SVGSVGElement} */ (parse.content.firstElementChild);
  svg.firstElementChild?.setAttribute("d", path);
  return svg;
}
