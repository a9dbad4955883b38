"""`python -m bot chart`: write chart images to files.

matplotlib is imported only when the command runs, so other subcommands start as fast as before.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase

EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
LANGS = ("en", "ja")


def _err(message: str) -> None:
    sys.stderr.write(message + "\n")


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "chart",
        help="write a chart of survey results or a dated series as a PNG image",
        description="Write a chart as a PNG image. NAME is a chart key (see --list), a fact id or a topic id.",
    )
    p.add_argument("name", nargs="?", metavar="TOPIC_OR_FACT", help="chart key, fact id or topic id")
    p.add_argument("-o", "--output", type=Path, metavar="PATH", help="the PNG file to write (with --all: the folder)")
    p.add_argument("--all", action="store_true", help="write every chart into the folder given by -o")
    p.add_argument("--list", action="store_true", help="list the charts and exit")
    p.add_argument("--lang", choices=LANGS, default=None, help="label language (default: en; with --all, both)")
    p.add_argument("--knowledge", type=Path, default=None, metavar="DIR", help="knowledge folder (default: the project's knowledge/)")
    p.set_defaults(func=cmd_chart)


def cmd_chart(args: argparse.Namespace) -> int:
    if args.list:
        if args.name or args.all:
            _err("chart: --list takes no TOPIC_OR_FACT and no --all.")
            return EXIT_USAGE
    elif args.all == bool(args.name):
        _err("chart: give either TOPIC_OR_FACT or --all (see python -m bot chart --help).")
        return EXIT_USAGE
    elif args.output is None:
        _err("chart: -o PATH is required (a .png file, or a folder with --all).")
        return EXIT_USAGE

    from bot.knowledge import default_knowledge_path, load_knowledge

    result = load_knowledge([args.knowledge or default_knowledge_path()])
    if result.kb is None:
        for problem in result.problems:
            _err(str(problem))
        _err(f"{len(result.problems)} problem(s) in the knowledge files; no charts drawn.")
        return EXIT_PROBLEMS
    kb = result.kb

    from bot.charts import ChartError, available_charts, render_chart

    if args.list:
        lang = args.lang or "en"
        for spec in available_charts(kb):
            print(f"{spec.key}\t{spec.kind}\t{spec.title(lang)}")
        return EXIT_OK
    try:
        if args.all:
            return _write_all(kb, args.output, [args.lang] if args.lang else list(LANGS))
        png = render_chart(kb, args.name, args.lang or "en")
    except ChartError as exc:
        _err(str(exc))
        return EXIT_PROBLEMS
    return EXIT_OK if _write(args.output, png) else EXIT_PROBLEMS


def _write_all(kb: KnowledgeBase, folder: Path, langs: list[str]) -> int:
    from bot.charts import available_charts, render_chart

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _err(f"Cannot create folder {folder}: {exc.strerror or exc}.")
        return EXIT_PROBLEMS
    specs = available_charts(kb)
    if not specs:
        _err("The knowledge files declare no charts (no 'chart:' or 'series:' on any fact).")
        return EXIT_PROBLEMS
    for spec in specs:
        for lang in langs:
            if not _write(folder / f"{spec.key}-{lang}.png", render_chart(kb, spec.key, lang)):
                return EXIT_PROBLEMS
    return EXIT_OK


def _write(path: Path, png: bytes) -> bool:
    try:
        path.write_bytes(png)
    except OSError as exc:
        _err(f"Cannot write {path}: {exc.strerror or exc}.")
        return False
    print(path)
    return True
