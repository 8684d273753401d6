"""An organisation's own knowledge articles, beside the shipped ones.

An organisation's flows folder (see :mod:`bot.flowspec.overlay`) may hold a
``kennis/`` folder with articles in the format of ``knowledge/``; its flows may
link to them with ``help:``. An article of its own with a shipped id replaces
the shipped one for that organisation.
"""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.base import KnowledgeBase
from bot.knowledge.loader import load_knowledge

#: The folder of an organisation's own articles, inside its flows folder.
ORG_KNOWLEDGE_DIR = "kennis"


def org_articles(folder: Path) -> frozenset[str]:
    """The ids of the organisation's own articles (none without ``kennis/``);
    raises ``FlowLoadError`` with every problem in them."""
    own = folder / ORG_KNOWLEDGE_DIR
    return load_knowledge(own).ids() if own.is_dir() else frozenset()


def with_org_articles(shipped: KnowledgeBase, folder: Path | None) -> KnowledgeBase:
    """``shipped`` with the organisation's own articles over it."""
    own = folder / ORG_KNOWLEDGE_DIR if folder is not None else None
    if own is None or not own.is_dir():
        return shipped
    mine = load_knowledge(own)
    ids = mine.ids()
    return KnowledgeBase(tuple(a for a in shipped.all() if a.id not in ids) + tuple(mine.all()))
