"""``multiverseg-widget demo``: the README's main command ends with JupyterLab serving the
quickstart from a folder of the user's."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import urllib.request
import webbrowser
from pathlib import Path

import psutil
import pytest

from multiverseg_widget.demo import (
    OPENING,
    QUICKSTART,
    bundled_notebooks,
    free_port,
    open_in_browser,
    prepare_folder,
)


def test_notebooks_ship_in_the_package():
    assert QUICKSTART in {p.name for p in bundled_notebooks()}


def test_prepare_folder_keeps_the_users_own_copy(tmp_path):
    (tmp_path / QUICKSTART).write_text("my edits")
    quickstart = prepare_folder(tmp_path)
    assert quickstart.read_text() == "my edits"
    assert {p.name for p in bundled_notebooks()} <= {p.name for p in tmp_path.iterdir()}


def recording_browser(folder: Path) -> dict[str, str]:
    """An environment whose $BROWSER is a script that writes the URL it is given to
    ``folder/opened.txt``: the demo's real webbrowser call, and no browser opened here."""
    script = folder / "browser.sh"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$1" >> "{folder / "opened.txt"}"\n')
    script.chmod(0o755)
    return {**os.environ, "BROWSER": str(script)}


def start_demo(arguments: list[str], folder: Path) -> tuple[subprocess.Popen, list[str]]:
    """``multiverseg-widget demo`` with ``arguments``, from ``folder``, with a browser that
    records what it opens; returns the process and the lines it printed up to the URL, which
    it prints once JupyterLab answers."""
    demo = subprocess.Popen(
        [shutil.which("multiverseg-widget"), "demo", *arguments],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=recording_browser(folder),
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in demo.stdout], daemon=True).start()
    printed = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            printed.append(lines.get(timeout=1.0))
        except queue.Empty:
            assert demo.poll() is None, f"the demo exited with {demo.returncode}"
            continue
        if "/lab/tree/" in printed[-1]:
            return demo, printed
    demo.kill()
    raise AssertionError("the demo printed no URL within 120 s")


def _process_tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_readme_demo_command_serves_the_quickstart_and_stops_cleanly(tmp_path, stop_signal):
    """The default relative folder works, the printed URL opens the quickstart, the user's
    browser is asked to open it, and stopping the demo (SIGTERM, or Ctrl+C's SIGINT) leaves
    neither JupyterLab nor a kernel behind."""
    demo, printed = start_demo([], tmp_path)
    url = printed[-1].strip()
    try:
        assert url.startswith("http://127.0.0.1:") and f"/lab/tree/{QUICKSTART}?token=" in url
        opened = tmp_path / "opened.txt"
        deadline = time.monotonic() + 30
        while not (opened.is_file() and opened.read_text().endswith("\n")):
            assert time.monotonic() < deadline, "the demo opened no browser"
            time.sleep(0.1)
        assert opened.read_text() == f"{url}\n"
        assert (tmp_path / "multiverseg-demo" / QUICKSTART).is_file()
        with urllib.request.urlopen(url, timeout=10) as page:
            assert page.status == 200 and "JupyterLab" in page.read().decode()
        base, token = url.split("/lab/tree/")[0], url.split("token=")[1]
        contents = f"{base}/api/contents/{QUICKSTART}?token={token}&content=0"
        with urllib.request.urlopen(contents, timeout=10) as response:
            assert json.load(response)["path"] == QUICKSTART
        start_kernel = urllib.request.Request(
            f"{base}/api/kernels?token={token}", data=b"{}", method="POST"
        )
        with urllib.request.urlopen(start_kernel, timeout=30) as response:
            assert response.status == 201
        deadline = time.monotonic() + 30
        while len(_process_tree(demo.pid)) < 3:  # demo, JupyterLab, the kernel
            assert time.monotonic() < deadline, "the kernel process did not appear"
            time.sleep(0.2)
        processes = _process_tree(demo.pid)
    finally:
        demo.send_signal(stop_signal)
    assert demo.wait(timeout=60) == 0
    gone, alive = psutil.wait_procs(processes, timeout=30)
    assert not alive, f"still running after the demo stopped: {alive}"


def test_demo_options_and_jupyterlab_arguments_after_double_dash(tmp_path):
    """--dir (absolute), --port and --token shape the printed URL; --no-browser opens none;
    what follows -- reaches JupyterLab (here a response header)."""
    port, token = free_port(), "demo-test"
    arguments = [
        "--dir", str(tmp_path / "d"), f"--port={port}", f"--token={token}", "--no-browser",
        "--", "--ServerApp.tornado_settings={'headers': {'X-Demo-Extra': 'passed'}}",
    ]  # fmt: skip
    server, printed = start_demo(arguments, tmp_path)
    url = f"http://127.0.0.1:{port}/api/contents/{QUICKSTART}?token={token}&content=0"
    try:
        assert printed[-1].strip().startswith(f"http://127.0.0.1:{port}/lab/tree/")
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
            assert response.headers["X-Demo-Extra"] == "passed"
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Open the quickstart in your browser:\n" in printed and OPENING + "\n" not in printed
    assert not (tmp_path / "opened.txt").exists()


def test_jupyterlab_arguments_that_would_break_the_url_are_refused(tmp_path, capsys):
    from multiverseg_widget.cli import main

    assert main(["demo", "--dir", str(tmp_path / "d"), "--", "--port=9999"]) == 2
    assert "--port" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()


def test_the_default_demo_folder_is_ignored_by_git():
    """The README's command run inside a checkout leaves no untracked files behind."""
    from multiverseg_widget.cli import build_parser

    default = build_parser().parse_args(["demo"]).dir
    ignored = (Path(__file__).resolve().parents[1] / ".gitignore").read_text().split()
    assert f"{default.as_posix()}/" in ignored


class RecordingBrowser(webbrowser.BaseBrowser):
    """A browser controller that records the URLs it is asked to open."""

    def __init__(self) -> None:
        super().__init__("recording")
        self.opened: queue.Queue[str] = queue.Queue()

    def open(self, url: str, new: int = 0, autoraise: bool = True) -> bool:
        self.opened.put(url)
        return True


def test_the_quickstart_opens_in_the_users_browser(monkeypatch):
    browser = RecordingBrowser()
    monkeypatch.setattr(webbrowser, "get", lambda using=None: browser)
    assert open_in_browser("http://127.0.0.1:1/lab")
    assert browser.opened.get(timeout=10) == "http://127.0.0.1:1/lab"  # on its own thread


def test_no_browser_and_a_terminal_browser_are_left_alone(monkeypatch):
    """Headless: no error, nothing opened; lynx or w3m (a terminal browser, which webbrowser
    finds on a machine without a display) would take over the demo's terminal."""

    def none(using: str | None = None) -> webbrowser.BaseBrowser:
        raise webbrowser.Error("could not locate runnable browser")

    monkeypatch.setattr(webbrowser, "get", none)
    assert not open_in_browser("http://127.0.0.1:1/lab")
    terminal, ran = webbrowser.GenericBrowser("w3m"), []
    monkeypatch.setattr(terminal, "open", lambda *args, **kwargs: ran.append(args))
    monkeypatch.setattr(webbrowser, "get", lambda using=None: terminal)
    monkeypatch.delenv("BROWSER", raising=False)
    assert not open_in_browser("http://127.0.0.1:1/lab") and not ran
    monkeypatch.setenv("BROWSER", "w3m")  # the user's own choice: used
    assert open_in_browser("http://127.0.0.1:1/lab")
