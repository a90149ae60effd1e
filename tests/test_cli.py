"""The console script's subcommands that the other test files do not cover."""

from __future__ import annotations

import pytest

from multiverseg_widget.cli import main
from multiverseg_widget.model import save_checkpoint


def test_bench_prints_a_row_per_context_size(tmp_path, small_nets, capsys):
    path = save_checkpoint(tmp_path / "small.pt", small_nets[0])
    assert main(["bench", "--checkpoint", str(path), "--runs", "2", "--context", "0", "2"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()[2:]]
    assert [int(r[0]) for r in rows] == [0, 2]
    assert all(float(r[1]) > 0 for r in rows)


def test_bench_reports_a_missing_checkpoint(tmp_path, capsys):
    assert main(["bench", "--checkpoint", str(tmp_path / "none.pt")]) == 2
    assert "checkpoint not found" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["evaluate", "train", "bench"])
def test_every_subcommand_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "usage: multiverseg-widget" in capsys.readouterr().out
