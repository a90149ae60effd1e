"""``multiverseg-widget demo``: the README's main command ends with JupyterLab serving the
quickstart from a folder of the user's."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from multiverseg_widget.demo import QUICKSTART, bundled_notebooks, prepare_folder


def test_notebooks_ship_in_the_package():
    assert QUICKSTART in {p.name for p in bundled_notebooks()}


def test_prepare_folder_keeps_the_users_own_copy(tmp_path):
    (tmp_path / QUICKSTART).write_text("my edits")
    quickstart = prepare_folder(tmp_path)
    assert quickstart.read_text() == "my edits"
    assert {p.name for p in bundled_notebooks()} <= {p.name for p in tmp_path.iterdir()}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_demo_serves_the_quickstart(tmp_path):
    port, token = _free_port(), "demo-test"
    command = [
        sys.executable,
        "-m",
        "multiverseg_widget.cli",
        "demo",
        "--dir",
        str(tmp_path / "d"),
        "--",
        "--no-browser",
        f"--port={port}",
        f"--IdentityProvider.token={token}",
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/api/contents/{QUICKSTART}?token={token}&content=0"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                assert time.monotonic() < deadline, "JupyterLab did not come up in 90 s"
                time.sleep(1)
    finally:
        server.terminate()
        server.wait(timeout=30)
