"""Knowledge files: schema, safe loading, validation. No discord here."""

from pathlib import Path

from bot.knowledge.loader import LoadCache, LoadResult, load_knowledge
from bot.knowledge.model import Fact, Figure, KnowledgeBase, Source, Text, Topic
from bot.knowledge.yamlsafe import Limits, Problem

__all__ = [
    "Fact",
    "Figure",
    "KnowledgeBase",
    "Limits",
    "LoadCache",
    "LoadResult",
    "Problem",
    "Source",
    "Text",
    "Topic",
    "default_knowledge_path",
    "load_knowledge",
]


def default_knowledge_path() -> Path:
    """The project's knowledge/ folder (next to the package in a checkout), else ./knowledge."""
    beside = Path(__file__).resolve().parent.parent.parent / "knowledge"
    return beside if beside.is_dir() else Path("knowledge")
