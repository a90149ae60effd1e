"""``multiverseg-widget demo``: the README's main command ends with JupyterLab serving the
quickstart from a folder of the user's."""

from __future__ import annotations

import json
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from multiverseg_widget.demo import (
    QUICKSTART,
    bundled_notebooks,
    free_port,
    prepare_folder,
    wait_until_serving,
)


def test_notebooks_ship_in_the_package():
    assert QUICKSTART in {p.name for p in bundled_notebooks()}


def test_prepare_folder_keeps_the_users_own_copy(tmp_path):
    (tmp_path / QUICKSTART).write_text("my edits")
    quickstart = prepare_folder(tmp_path)
    assert quickstart.read_text() == "my edits"
    assert {p.name for p in bundled_notebooks()} <= {p.name for p in tmp_path.iterdir()}


def start_demo_as_in_the_readme(folder: Path) -> tuple[subprocess.Popen, str]:
    """``multiverseg-widget demo`` with no arguments, from ``folder``; returns the process and
    the URL it prints once JupyterLab answers."""
    demo = subprocess.Popen(
        [shutil.which("multiverseg-widget"), "demo"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in demo.stdout], daemon=True).start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1.0)
        except queue.Empty:
            assert demo.poll() is None, f"the demo exited with {demo.returncode}"
            continue
        if "/lab/tree/" in line:
            return demo, line.strip()
    demo.kill()
    raise AssertionError("the demo printed no URL within 120 s")


def _process_tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_readme_demo_command_serves_the_quickstart_and_stops_cleanly(tmp_path, stop_signal):
    """The default relative folder works, the printed URL opens the quickstart, and stopping
    the demo (SIGTERM, or Ctrl+C's SIGINT) leaves neither JupyterLab nor a kernel behind."""
    demo, url = start_demo_as_in_the_readme(tmp_path)
    try:
        assert url.startswith("http://127.0.0.1:") and f"/lab/tree/{QUICKSTART}?token=" in url
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
    """--dir (absolute), --port and --token shape the printed URL; what follows -- reaches
    JupyterLab (here a response header)."""
    port, token = free_port(), "demo-test"
    command = [
        sys.executable, "-m", "multiverseg_widget.cli", "demo", "--dir", str(tmp_path / "d"),
        f"--port={port}", f"--token={token}",
        "--", "--ServerApp.tornado_settings={'headers': {'X-Demo-Extra': 'passed'}}",
    ]  # fmt: skip
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/api/contents/{QUICKSTART}?token={token}&content=0"
    try:
        assert wait_until_serving(server, port, token), "JupyterLab did not come up"
        with urllib.request.urlopen(url, timeout=5) as response:
            assert response.status == 200
            assert response.headers["X-Demo-Extra"] == "passed"
    finally:
        server.terminate()
        server.wait(timeout=30)


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
