"""The ``multiverseg-widget`` command line: one subcommand per job.

To add a subcommand, write ``add_<name>_command(subparsers)`` that creates its parser and sets
``run`` (a function of the parsed arguments returning the exit code), and append it to
``COMMANDS``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeAlias

from .evaluation.baselines import DiskModel, RandomWalkerModel
from .evaluation.context_forest import ContextForest
from .evaluation.protocol import (
    CONTEXT_MODES,
    PROTOCOLS,
    Model,
    Settings,
    run_evaluation,
)
from .evaluation.results import format_comparison, format_summary
from .evaluation.tasks import TASK_FILE_HELP, load_task
from .model import load_model
from .model.context_check import ContextPolicy
from .model.load import MODEL_NAMES
from .model.official import BUNDLES as OFFICIAL_WEIGHTS
from .weights_cli import add_weights_command

BASELINE_MODELS = ("random-walker", "disk", "context-forest")
COMPARED_MODES = ("none", "growing")
# what ``add_<name>_command`` gets: ``build_parser``'s subcommand table
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_evaluate_command(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="simulated users on labelled tasks: interactions to reach a target Dice",
        description=(
            "Segment each task's images one after another with a simulated user, with a growing\n"
            "context set or none, and report the interactions each image needs (the paper's\n"
            "protocol). Resumes from --json when it exists with the same settings."
        ),
        epilog=TASK_FILE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,  # the task format's layout
    )
    parser.add_argument(
        "data", nargs="+", type=Path, help="task files (.npz with images and masks: see below)"
    )
    users = "; ".join(f"{n}: {s.summary} (at most {s.max_steps})" for n, s in PROTOCOLS.items())
    parser.add_argument(
        "--protocol", choices=sorted(PROTOCOLS), default="clicks",
        help=f"the simulated user and its interactions per image (default clicks): {users}",
    )  # fmt: skip
    parser.add_argument(
        "--context", choices=CONTEXT_MODES,
        help="none: each image alone; growing (the default): each finished image joins the "
        "context set with the mask the user reached; growing-gt: with its ground truth",
    )  # fmt: skip
    parser.add_argument(
        "--compare",
        action="store_true",
        help="run context none and growing, and print the reduction of total interactions",
    )
    parser.add_argument(
        "--orderings", type=int, default=3, help="random orderings per task (default 3)"
    )
    parser.add_argument(
        "--max-images", type=int, default=20, help="images per ordering (default 20)"
    )
    parser.add_argument(
        "--target-dice", type=float, default=0.9,
        help="an image is done once its Dice with the ground truth reaches this (default 0.9)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=int, default=0,
        help="seeds the image orderings and the users' randomness, the same in every context "
        "mode, so that modes compare on the same images (default 0)",
    )  # fmt: skip
    parser.add_argument("--json", type=Path, help="results file, written after each ordering")
    parser.add_argument("--plot", type=Path, help="figure file (png, pdf, svg)")
    parser.add_argument("--checkpoint", type=Path, help="weights for --model default")
    parser.add_argument(
        "--model", choices=("default", *OFFICIAL_WEIGHTS, *BASELINE_MODELS), default="default",
        help="the built-in network, the authors' weights (downloaded once), or a baseline",
    )  # fmt: skip
    parser.add_argument(
        "--context-guide", action="store_true",
        help="the network's context-only predictions start from the context guide's answer",
    )  # fmt: skip
    parser.add_argument(
        "--adapt-context", action="store_true",
        help="with 2 or more context images, the network is first fine-tuned on them (seconds)",
    )  # fmt: skip
    parser.add_argument(
        "--self-check", action="store_true",
        help="the Session's context policy: a context set that predicts its own images badly "
        "is not used, and one that predicts them well is adapted to (with --adapt-context)",
    )  # fmt: skip
    parser.add_argument("--device", default="auto", help="auto (CUDA, then MPS, else the CPU)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    parser.set_defaults(run=run_evaluate_command)


def run_evaluate_command(args: argparse.Namespace) -> int:
    if args.compare and args.context:
        return _fail("--compare runs the context modes none and growing; drop --context")
    if args.checkpoint is not None and args.model != "default":
        return _fail(f"--checkpoint is for --model default, not {args.model}")
    for flag in ("context_guide", "adapt_context", "self_check"):
        if getattr(args, flag) and args.model in BASELINE_MODELS:
            option = "--" + flag.replace("_", "-")
            return _fail(f"{option} is for the networks, not {args.model}")
    if args.orderings < 1 or args.max_images < 1:
        return _fail("--orderings and --max-images must be at least 1")
    try:
        tasks = [load_task(path) for path in args.data]
    except (OSError, ValueError) as error:
        return _fail(str(error))
    try:
        model = _build_model(args)
    except (OSError, ValueError) as error:
        built_in = args.model == "default" and args.checkpoint is None
        hint = "; or pass --checkpoint PATH" if built_in else ""
        return _fail(f"{error}{hint}")
    settings = Settings(
        protocol=args.protocol,
        target_dice=args.target_dice,
        max_images=args.max_images,
        seed=args.seed,
        model=args.model,
        checkpoint=None if args.checkpoint is None else str(args.checkpoint),
        context_guide=args.context_guide,
        adapt_context=args.adapt_context,
        context_policy=vars(ContextPolicy()) if args.self_check else None,
    )
    modes = COMPARED_MODES if args.compare else (args.context or "growing",)
    try:
        results = run_evaluation(
            model, tasks, settings, modes, args.orderings, args.json, not args.no_progress
        )
    except ValueError as error:
        return _fail(str(error))
    print(format_summary(results))
    if args.compare:
        print()
        print(format_comparison(results, *COMPARED_MODES))
    if args.plot is not None:
        from .evaluation.plot import plot_results  # matplotlib only when a figure is wanted

        plot_results(results, args.plot)
    return 0


def _build_model(args: argparse.Namespace) -> Model:
    """The network (built-in weights unless ``--checkpoint``, or the authors' weights by name)
    or a classical baseline."""
    name = args.model
    if name == "random-walker":
        return RandomWalkerModel()
    if name == "disk":
        return DiskModel()
    if name == "context-forest":
        return ContextForest()
    weights = name if name in OFFICIAL_WEIGHTS else args.checkpoint
    return load_model(
        weights,
        device=args.device,
        context_guide=args.context_guide,
        adapt_to_context=args.adapt_context,
        context_policy=ContextPolicy() if args.self_check else None,
    )


def _fail(message: str) -> int:
    print(f"multiverseg-widget: error: {message}", file=sys.stderr)
    return 2


def add_train_command(subparsers: Subparsers) -> None:
    from .train import cli as train_cli

    parser = subparsers.add_parser(
        "train",
        help="train the default weights (resumable, stops at a time limit)",
        description=train_cli.DESCRIPTION,
    )
    train_cli.add_arguments(parser)
    parser.set_defaults(run=train_cli.run)


def add_bench_command(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time a prediction on this machine for several context sizes",
        description="The median time of Predictor.predict (one click on a 256 x 256 demo "
        "image, the context set prepared once as in a session) for each context size, after a "
        "warm-up, with the device, precision, threads and how busy the CPUs were: other "
        "processes running at the same time slow it down a lot.",
    )
    parser.add_argument(
        "--checkpoint",
        help=f"a weights file, or {', '.join(MODEL_NAMES)} (default: the built-in weights)",
    )
    parser.add_argument(
        "--context", type=int, nargs="+", default=[0, 1, 4, 8],
        help="the context set sizes to time (default 0 1 4 8)",
    )  # fmt: skip
    parser.add_argument(
        "--runs", type=int, default=20,
        help="timed predictions per context size, after one warm-up (default 20)",
    )  # fmt: skip
    parser.add_argument(
        "--device", default="auto", help="auto (default: CUDA, then Apple MPS, else the CPU), "
        "cpu, cuda or mps",
    )  # fmt: skip
    parser.set_defaults(run=run_bench_command)


def run_bench_command(args: argparse.Namespace) -> int:
    from .bench import report

    if args.runs < 1 or min(args.context) < 0:
        return _fail("--runs must be at least 1 and --context sizes at least 0")
    try:
        model = load_model(args.checkpoint, device=args.device)
        print(report(model, args.context, args.runs))
    except (OSError, ValueError) as error:
        return _fail(str(error))
    return 0


def add_demo_command(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="start JupyterLab on the quickstart notebook (demo data and built-in weights)",
        description="Copy the notebooks into --dir (keeping any already there) and start "
        "JupyterLab on the quickstart; once it answers, the demo opens the quickstart in your "
        "browser (where there is one) and prints its URL. Ctrl+C stops JupyterLab and its "
        "kernels. Arguments after -- go to JupyterLab, e.g. -- "
        "--ServerApp.shutdown_no_activity_timeout=3600.",
    )
    parser.add_argument(
        "--dir", type=Path, default=Path("multiverseg-demo"), help="notebook folder (relative ok)"
    )
    parser.add_argument("--port", type=int, help="JupyterLab's port (default: a free one)")
    parser.add_argument("--token", help="JupyterLab's token (default: a random one)")
    parser.add_argument(
        "--no-browser", action="store_true", help="only print the URL; open no browser"
    )
    parser.add_argument("lab_args", nargs="*", help="extra JupyterLab arguments (after --)")
    parser.set_defaults(run=run_demo_command)


def run_demo_command(args: argparse.Namespace) -> int:
    from .demo import run_demo

    try:
        return run_demo(
            args.dir, args.lab_args, port=args.port, token=args.token, browser=not args.no_browser
        )
    except (OSError, ValueError) as error:
        return _fail(str(error))


COMMANDS: list[Callable[[Subparsers], None]] = [
    add_demo_command,
    add_evaluate_command,
    add_train_command,
    add_bench_command,
    add_weights_command,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="multiverseg-widget",
        description="Interactive in-context segmentation of biomedical image datasets.",
    )
    subparsers = parser.add_subparsers(
        dest="command", required=True, help="what to do (each command has its own --help)"
    )
    for add_command in COMMANDS:
        add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``multiverseg-widget`` console script."""
    args = build_parser().parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run  # each subcommand's set_defaults(run=)
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
