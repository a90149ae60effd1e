"""Where the benchmarks find the unseen eval tasks: ``$MVW_SHARED/data/eval``, by default the
``shared`` folder beside this checkout (as for the tests)."""

import os
from pathlib import Path

SHARED = Path(os.environ.get("MVW_SHARED", Path(__file__).resolve().parents[2] / "shared"))
EVAL = SHARED / "data" / "eval"
