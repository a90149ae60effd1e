"""The export bar in a real JupyterLab and Chromium: a folder per format, and an export that
would overwrite a file is asked about first; Overwrite replaces it (issue 31)."""

from __future__ import annotations

from .lab import canvas_point, wait_until_idle

THEIRS = b"the user's own file"


def test_an_overwrite_is_asked_and_done_once_confirmed(widget, artifacts):
    page, root = widget.page, widget.root
    page.mouse.click(*canvas_point(page, 0.5, 0.5))
    wait_until_idle(page)
    page.locator(".mvw-canvas").press("Enter")  # image 1 accepted
    wait_until_idle(page)

    folder = root.get_by_label("export folder")
    exports = widget.workdir.parent / "exports"  # beside the work folder, one per format
    assert folder.input_value() == str(exports / "png")
    root.get_by_label("export format").select_option("labelmap")
    assert folder.input_value() == str(exports / "labelmap")
    root.get_by_label("export format").select_option("png")

    out = widget.workdir.parent / f"{widget.workdir.name}-out"
    out.mkdir()
    (out / "image_0000.png").write_bytes(THEIRS)  # a file of the user's, named like the mask
    folder.fill(str(out))
    root.get_by_role("button", name="Export", exact=True).click()
    wait_until_idle(page)
    question = page.locator(".mvw-export-question")
    assert question.is_visible()
    assert question.inner_text().startswith(
        f"Export png: 1 existing file (image_0000.png) in {out} would be overwritten. "
        "Overwrite them?"
    )
    root.screenshot(path=str(artifacts / "export_question.png"))
    assert (out / "image_0000.png").read_bytes() == THEIRS  # asked, not done
    assert sorted(p.name for p in out.iterdir()) == ["image_0000.png"]

    question.get_by_role("button", name="Overwrite").click()
    wait_until_idle(page)
    assert not question.is_visible()
    status = page.locator(".mvw-status-text").inner_text()
    assert f"exported the masks of 1 image as png to {out}" in status
    assert (out / "image_0000.png").read_bytes().startswith(b"\x89PNG")
    assert sorted(p.name for p in out.iterdir()) == ["export-manifest.json", "image_0000.png"]
