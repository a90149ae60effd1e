"""Another process that holds one core busy, as a browser drawing the widget holds one on a
user's machine: the benchmarks measure with it as well as on an idle machine."""

from __future__ import annotations

import subprocess
import sys


def busy_core() -> subprocess.Popen[bytes]:
    """A busy loop in another process, until it is killed or the process that started it ends."""
    loop = "import os\nparent = os.getppid()\nwhile os.getppid() == parent: pass"
    return subprocess.Popen([sys.executable, "-c", loop])
