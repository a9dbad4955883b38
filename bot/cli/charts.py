"""`python -m bot chart`: write chart images to files.

matplotlib is imported only when the command runs, so the other commands start without it.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.output import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, say, warn

if TYPE_CHECKING:
    from bot.knowledge import KnowledgeBase

LANGS = ("en", "ja")


def chart(args: argparse.Namespace) -> int:
    if args.list:
        if args.name or args.all:
            warn("chart: --list takes no TOPIC_OR_FACT and no --all.")
            return EXIT_USAGE
    elif args.all == bool(args.name):
        warn("chart: give either TOPIC_OR_FACT or --all (see python -m bot chart --help).")
        return EXIT_USAGE
    elif args.output is None:
        warn("chart: -o PATH is required (a .png file, or a folder with --all).")
        return EXIT_USAGE

    from bot.knowledge import default_knowledge_path, load_knowledge

    result = load_knowledge([args.knowledge or default_knowledge_path()])
    if result.kb is None:
        for problem in result.problems:
            warn(str(problem))
        warn(f"{len(result.problems)} problem(s) in the knowledge files; no charts drawn.")
        return EXIT_PROBLEMS
    kb = result.kb

    from bot.charts import ChartError, available_charts, render_chart

    if args.list:
        lang = args.lang or "en"
        for spec in available_charts(kb):
            say(f"{spec.key}\t{spec.kind}\t{spec.title(lang)}")
        return EXIT_OK
    try:
        if args.all:
            return _write_all(kb, args.output, [args.lang] if args.lang else list(LANGS))
        png = render_chart(kb, args.name, args.lang or "en")
    except ChartError as exc:
        warn(str(exc))
        return EXIT_PROBLEMS
    return EXIT_OK if _write(args.output, png) else EXIT_PROBLEMS


def _write_all(kb: KnowledgeBase, folder: Path, langs: list[str]) -> int:
    from bot.charts import available_charts, render_chart

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        warn(f"Cannot create folder {folder}: {exc.strerror or exc}.")
        return EXIT_PROBLEMS
    specs = available_charts(kb)
    if not specs:
        warn("The knowledge files declare no charts (no 'chart:' or 'series:' on any fact).")
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
        warn(f"Cannot write {path}: {exc.strerror or exc}.")
        return False
    say(str(path))
    return True
