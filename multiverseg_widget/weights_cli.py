"""``multiverseg-widget weights``: list, download, locate and verify the authors' weights.

Kept out of ``cli.py`` so that the command line stays a table of commands; the work is done by
``model/official.py``.
"""

from __future__ import annotations

import argparse
import sys

from .model import official
from .model.load import DEFAULT_CHECKPOINT

ACTIONS = {
    "list": "every named weights, its files, their URLs and whether they are in the cache",
    "download": "download NAME's files into the cache once (default: official) and verify them",
    "path": "print the cache folder, or with NAME the exact paths of its files",
    "verify": "check the cached files of NAME (default: official): content and recorded SHA-256",
}


def add_weights_command(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
) -> None:
    parser = subparsers.add_parser(
        "weights",
        help="download, locate and verify the official MultiverSeg weights",
        description=(
            f"The authors' weights ({', '.join(official.BUNDLES)}) are downloaded once into "
            f"a per-user cache (${official.CACHE_ENV} overrides it; ${official.MIRROR_ENV} is a "
            "URL prefix serving the files by name) and verified before every use."
        ),
    )
    actions = parser.add_subparsers(
        dest="action", required=True, help="what to do (each action has its own --help)"
    )
    for action, text in ACTIONS.items():
        sub = actions.add_parser(action, help=text, description=text)
        if action != "list":
            sub.add_argument("names", nargs="*", metavar="NAME", help=", ".join(official.BUNDLES))
    parser.set_defaults(run=run_weights_command)


def run_weights_command(args: argparse.Namespace) -> int:
    names = getattr(args, "names", [])
    unknown = [n for n in names if n not in official.BUNDLES]
    if unknown:
        known = ", ".join(official.BUNDLES)
        return _fail(f"unknown weights {', '.join(unknown)}; choose from {known}")
    if args.action == "list":
        return _list()
    if args.action == "path":
        if not names:
            print(official.cache_dir())
        for file in _files(names):
            print(official.cached_path(file))
        return 0
    if args.action == "download":
        for name in names or ["official"]:
            try:
                paths = official.fetch(name)
            except (OSError, ValueError) as error:
                return _fail(str(error))
            print("\n".join(str(p) for p in paths))
        return 0
    return _verify(_files(names or ["official"]))


def _list() -> int:
    print(f"default: the built-in weights\n  {DEFAULT_CHECKPOINT}")
    for name, files in official.BUNDLES.items():
        print(f"{name}:")
        for file in files:
            path = official.cached_path(file)
            state = "cached" if path.is_file() else "not downloaded"
            print(f"  {file.name} ({state})\n    {path}\n    {file.url}")
    return 0


def _verify(files: list[official.WeightFile]) -> int:
    """One line per file; exit 1 when any is missing or refused."""
    status = 0
    for file in files:
        path = official.cached_path(file)
        if not path.is_file():
            print(f"missing  {file.name}: not in the cache ({path})")
            status = 1
            continue
        try:
            digest = official.verify(file, path, full=True)
        except ValueError as error:
            print(f"REFUSED  {file.name}: {error}")
            status = 1
            continue
        print(f"ok       {file.name} sha256 {digest} ({path})")
    return status


def _files(names: list[str]) -> list[official.WeightFile]:
    """The files of ``names`` in order, each once (the bundles share ScribblePrompt)."""
    return list(dict.fromkeys(f for name in names for f in official.BUNDLES[name]))


def _fail(message: str) -> int:
    print(f"multiverseg-widget: error: {message}", file=sys.stderr)
    return 2
