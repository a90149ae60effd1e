"""The console script's subcommands that the other test files do not cover."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator

import numpy as np
import pytest
import torch

from multiverseg_widget.cli import build_parser, main
from multiverseg_widget.evaluation.tasks import load_task
from multiverseg_widget.model import save_checkpoint


def test_bench_says_what_it_measures_and_prints_a_row_per_context_size(
    tmp_path, small_nets, capsys
):
    """issue 34: bench's figures were read against the README's network-only ones; it says
    what it times (the size, the runs after a warm-up, precision, threads, the CPUs' load)."""
    path = save_checkpoint(tmp_path / "small.pt", small_nets[0])
    assert main(["bench", "--checkpoint", str(path), "--runs", "2", "--context", "0", "2"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = next(k for k, line in enumerate(lines) if "median ms per predict" in line)
    said = " ".join(lines[:header])
    for words in (
        "one click on a 256 x 256 image",
        "network at 128 x 128",
        "the median of 2",
        "after one warm-up",
        f"{torch.get_num_threads()} threads",
        "load average",
    ):
        assert words in said, words
    rows = [line.split() for line in lines[header + 1 :]]
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


RST = re.compile(r"`|::|:(?:class|func|meth|mod|attr):")  # markup that --help prints as is


def _parsers(
    parser: argparse.ArgumentParser,
) -> Iterator[tuple[argparse.ArgumentParser, argparse.Action]]:
    """Every (parser, argument) of the command line, subcommands' and their actions' too."""
    for action in parser._actions:
        yield parser, action
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:  # each subcommand's line in the list
                yield parser, choice
            for sub in action.choices.values():
                yield from _parsers(sub)


def test_every_option_of_every_command_has_help_without_markup():
    """issue 34: evaluate's --protocol, --target-dice and --seed had none, and train's text
    showed a docstring's RST backticks."""
    found = list(_parsers(build_parser()))
    assert len({p.prog for p, _ in found}) == 10  # the tool, 5 commands, 4 weights actions
    for parser, action in found:
        name = f"{parser.prog} {'/'.join(action.option_strings) or action.dest}"
        assert action.help and action.help != argparse.SUPPRESS and action.help.strip(), name
        assert not RST.search(action.help), name
    for parser in {p.prog: p for p, _ in found}.values():
        for text in (parser.description, parser.epilog):
            assert not RST.search(text or ""), parser.prog


def test_evaluate_says_how_to_make_the_task_files_it_reads(tmp_path, capsys):
    """The --help's recipe makes a file that evaluate reads: the keys, shapes and dtypes."""
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    text = capsys.readouterr().out
    for said in ("images     N x H x W", "masks      N x H x W", "uint8", "scribbles  optional"):
        assert said in text, said
    recipe = text.split("Make one with NumPy")[1].splitlines()[1].strip()
    path = tmp_path / "task.npz"
    images = [np.full((6, 5), k, dtype=np.uint8) for k in range(3)]  # lists of 2D arrays
    exec(recipe.replace('"task.npz"', repr(str(path))),
         {"numpy": np, "images": images, "masks": [np.eye(6, 5, dtype=bool)] * 3})  # fmt: skip
    task = load_task(path)
    assert task.images.shape == (3, 6, 5) and task.masks.dtype == bool
