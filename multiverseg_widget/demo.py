"""``multiverseg-widget demo``: JupyterLab on the quickstart notebook, with the built-in demo
data and weights, in a folder of the user's (the notebooks ship inside the package).

JupyterLab runs as a child process. The demo chooses its port and token so that it can print
the one URL that opens the quickstart itself, once the server answers, and open it in the
user's browser as ``jupyter lab`` does (``--no-browser``: only print it). Stopping the demo stops
JupyterLab and its kernels: Ctrl+C, SIGTERM and SIGHUP are passed on as SIGTERM (a Ctrl+C in
the terminal also reaches JupyterLab itself, which then shuts down without asking), and on Linux
JupyterLab gets SIGTERM as well if the demo dies abruptly.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import webbrowser
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

from .threads import prefer_sleeping_threads

QUICKSTART = "01_quickstart.ipynb"
OPENING = "The quickstart opens in your browser; if it does not, open this URL:"
STARTUP_SECONDS = 120.0
# JupyterLab settings that the printed URL depends on: the demo's own options set them.
RESERVED_LAB_SETTINGS = ("--port", "--ServerApp.port", "--ServerApp.token",
                         "--IdentityProvider.token", "--ServerApp.base_url", "--ServerApp.ip",
                         "--ip", "--ServerApp.root_dir", "--notebook-dir")  # fmt: skip
FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
# JupyterLab defaults the demo changes. Comm messages go to the kernel's main thread, not to a
# subshell thread: torch on a second thread gives OpenMP a second team of workers, and on two
# cores each prediction then took about 1.6x as long (benchmarks/kernel_forward.py).
LAB_OVERRIDES = {
    "@jupyterlab/apputils-extension:kernels-settings": {"commsOverSubshells": "disabled"}
}


def bundled_notebooks() -> list[Path]:
    folder = Path(str(resources.files("multiverseg_widget") / "notebooks"))
    return sorted(folder.glob("*.ipynb"))


def prepare_folder(directory: Path) -> Path:
    """Copy the notebooks into ``directory``; a notebook already there is the user's: kept."""
    directory.mkdir(parents=True, exist_ok=True)
    for notebook in bundled_notebooks():
        target = directory / notebook.name
        if not target.exists():
            shutil.copyfile(notebook, target)
    return directory / QUICKSTART


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]  # an AF_INET address: (host, port)
        return port


def quickstart_url(port: int, token: str) -> str:
    return f"http://127.0.0.1:{port}/lab/tree/{QUICKSTART}?token={token}"


def lab_command(
    root: Path, port: int, token: str, extra: Sequence[str] = (), settings: Path | None = None
) -> list[str]:
    """JupyterLab serving ``root`` (absolute) on 127.0.0.1:``port`` with ``token``: no browser
    of its own (the demo opens the quickstart's URL once the server answers), the quickstart
    as its start page, no news pop-up or update check, one Ctrl+C stops it; ``settings``: its
    app settings folder (default overrides, ``write_lab_overrides``).
    As root (a container, a fresh cloud machine) JupyterLab refuses to start without
    --allow-root. ``extra`` comes last, so the user's JupyterLab arguments win."""
    as_root = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    return [
        sys.executable, "-m", "jupyterlab", "--no-browser",
        f"--ServerApp.root_dir={root}", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}", "--ServerApp.answer_yes=True",
        f"--ServerApp.default_url=/lab/tree/{QUICKSTART}",
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        *([f"--LabApp.app_settings_dir={settings}"] if settings else []),
        *as_root, *extra,
    ]  # fmt: skip


def quiet_lab_config(folder: Path) -> dict[str, str]:
    """Environment for JupyterLab with one more config folder, written into ``folder``, that
    disables the announcements plugin: its "official Jupyter news?" toast would cover the
    quickstart (``news_url=None`` stops the fetching, not the question). The user's own
    configuration still applies. Its kernels' PyTorch threads sleep while they wait
    (``threads.py``)."""
    labconfig = folder / "labconfig"
    labconfig.mkdir(parents=True, exist_ok=True)
    disabled = {"disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}}
    (labconfig / "page_config.json").write_text(json.dumps(disabled))
    paths = [str(folder), *filter(None, [os.environ.get("JUPYTER_CONFIG_PATH")])]
    environment = {**os.environ, "JUPYTER_CONFIG_PATH": os.pathsep.join(paths)}
    prefer_sleeping_threads(environment)  # its kernels' PyTorch threads sleep while they wait
    return environment


def write_lab_overrides(folder: Path) -> Path:
    """``folder`` as an app settings folder whose overrides.json holds LAB_OVERRIDES: they
    change JupyterLab's defaults, so the user's own settings still win."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(LAB_OVERRIDES))
    return folder


def _die_with_parent() -> None:
    """In the child, before JupyterLab starts: on Linux, get SIGTERM when the demo dies."""
    if sys.platform.startswith("linux"):
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def wait_until_serving(server: subprocess.Popen[bytes], port: int, token: str) -> bool:
    """True once JupyterLab answers on ``port``; False if it exits or does not come up."""
    status = f"http://127.0.0.1:{port}/api/status?token={token}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while server.poll() is None and time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(status, timeout=5) as response:
                if response.status == 200:
                    return True
        except OSError:
            time.sleep(0.3)
    return False


def open_in_browser(url: str) -> bool:
    """Ask the user's web browser to open ``url``, as ``jupyter lab`` does (Python's
    ``webbrowser``, on a thread of its own, since some browsers' commands wait); where there is
    none, as on a machine without a display, nothing happens. A browser that runs in the
    terminal (lynx, w3m: what ``webbrowser`` finds there) would take over the demo's terminal,
    so it is used only when ``$BROWSER`` names it.

    Returns:
        Whether a browser was asked to open it.
    """
    try:
        browser = webbrowser.get()
    except webbrowser.Error:  # no browser at all
        return False
    if type(browser) is webbrowser.GenericBrowser and not os.environ.get("BROWSER"):
        return False  # a terminal browser found by webbrowser itself
    threading.Thread(target=browser.open, args=(url,), daemon=True).start()
    return True


def run_demo(
    directory: Path,
    extra: Sequence[str] = (),
    port: int | None = None,
    token: str | None = None,
    browser: bool = True,
) -> int:
    """Serve the quickstart from ``directory`` (relative to the current folder) until stopped,
    opening it in the user's browser once JupyterLab answers (``browser``: where there is one);
    returns JupyterLab's exit status."""
    reserved = [arg for arg in extra if arg.split("=")[0] in RESERVED_LAB_SETTINGS]
    if reserved:
        raise ValueError(
            f"{reserved[0]}: the demo sets this itself so that its URL is right; "
            "use the demo's --port, --token or --dir instead"
        )
    root = directory.expanduser().resolve()
    prepare_folder(root)
    port = port or free_port()
    token = token or secrets.token_hex(24)
    print(f"Starting JupyterLab in {root} ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="multiverseg-demo-config-") as config:
        server = subprocess.Popen(
            lab_command(root, port, token, extra, write_lab_overrides(Path(config) / "lab")),
            cwd=root,
            env=quiet_lab_config(Path(config)),
            preexec_fn=_die_with_parent,
        )
        return _serve_until_stopped(server, port, token, browser)


def _serve_until_stopped(
    server: subprocess.Popen[bytes], port: int, token: str, browser: bool
) -> int:
    """Print the URL once JupyterLab answers (and open it: ``browser``); pass stop signals
    on; wait for it to end."""

    def pass_on(signum: int, _frame: object) -> None:
        if server.poll() is None:
            server.send_signal(signal.SIGTERM)

    previous = {signum: signal.signal(signum, pass_on) for signum in FORWARDED_SIGNALS}
    try:
        if wait_until_serving(server, port, token):
            url = quickstart_url(port, token)
            opened = browser and open_in_browser(url)
            where = OPENING if opened else "Open the quickstart in your browser:"
            print(f"\n{where}\n\n    {url}\n\nPress Ctrl+C here to stop JupyterLab.\n", flush=True)
        elif server.poll() is None:
            print(f"JupyterLab did not answer within {STARTUP_SECONDS:.0f} s.", flush=True)
        return server.wait()
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait()
        for signum, handler in previous.items():
            signal.signal(signum, handler)
