"""One JupyterLab server and one headless Chromium for the whole test session (see lab.py)."""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from jupyter_client import BlockingKernelClient
from playwright.sync_api import Browser, Locator, Page

from .lab import (
    CHROMIUM,
    GOLDEN_FILE,
    Lab,
    chromium,
    close_sessions,
    jupyter_lab,
    kernel_client,
    open_widget,
    write_widget_notebook,
)

if not Path(CHROMIUM).is_file():  # an error, not a skip: the suite must not go green without them
    raise RuntimeError(f"the browser tests need Debian's chromium at {CHROMIUM} (see .ci/run)")
if not GOLDEN_FILE.is_file():
    raise RuntimeError(f"the browser tests need {GOLDEN_FILE} (committed: see tests/data)")


@pytest.fixture(scope="session")
def artifacts(tmp_path_factory) -> Path:
    """Screenshots go to $MVW_ARTIFACTS (kept), else to a pytest temp folder."""
    folder = Path(os.environ.get("MVW_ARTIFACTS") or tmp_path_factory.mktemp("artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def lab(tmp_path_factory) -> Iterator[Lab]:
    with jupyter_lab(tmp_path_factory.mktemp("lab")) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@dataclass
class OpenWidget:
    """A notebook showing the widget: its page, the widget's root, a kernel client, its workdir."""

    page: Page
    root: Locator
    kernel: BlockingKernelClient
    workdir: Path


@contextlib.contextmanager
def opened_widget(
    lab: Lab,
    browser: Browser,
    name: str,
    workdir: Path,
    viewport: dict[str, int],
    timeout_ms: float = 180_000,
) -> Iterator[OpenWidget]:
    """Notebook ``name``'s widget in a new page, with a client of its kernel; on leaving, both
    are closed, and an error in the page fails the test."""
    page = browser.new_page(viewport=viewport)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    root = open_widget(page, lab, name, timeout_ms=timeout_ms)
    kernel = kernel_client(lab, name)
    try:
        yield OpenWidget(page, root, kernel, workdir)
    finally:
        kernel.stop_channels()
        close_sessions(lab, name)
        page.close()
    assert not errors, errors


@pytest.fixture()
def widget(lab, browser, request, tmp_path) -> Iterator[OpenWidget]:
    """A fresh notebook (and kernel) per test, in the session's server and browser."""
    name = write_widget_notebook(lab, re.sub(r"\W", "_", request.node.name) + ".ipynb", tmp_path)
    with opened_widget(lab, browser, name, tmp_path, {"width": 1280, "height": 1300}) as opened:
        yield opened
