"""How PyTorch's OpenMP threads wait for work: they sleep instead of spinning.

Why: a kernel shares its cores with the browser that draws the widget. With threads that spin
while they wait, one core held busy by another process made each click several times slower
than on an idle machine; with threads that sleep, it costs far less (README, "Figures":
``benchmarks/dataset_session.py``). OpenMP reads the setting when torch is first imported, so
it applies where this package is imported before torch (the notebooks do), and in every kernel
of the JupyterLab that ``multiverseg-widget demo`` starts. Set ``OMP_WAIT_POLICY`` yourself
(e.g. ACTIVE) to choose otherwise: it is never overridden.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

WAIT_POLICY = "PASSIVE"


def prefer_sleeping_threads(environment: MutableMapping[str, str] = os.environ) -> None:
    """Set ``OMP_WAIT_POLICY`` in ``environment`` (this process's by default) unless it is set.

    Args:
        environment: the environment of this process, or of one about to be started.
    """
    environment.setdefault("OMP_WAIT_POLICY", WAIT_POLICY)
