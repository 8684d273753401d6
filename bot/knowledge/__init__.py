"""The knowledge base: short Dutch articles a professional opens with ``uitleg`` or ``kennis``.

Only the pure part is re-exported here, so that importing ``bot.knowledge``
never pulls in file or YAML handling; the composition root loads the folder
with :func:`bot.knowledge.loader.load_knowledge`.
"""

from bot.knowledge.base import MAX_WORDS, Article, KnowledgeBase, count_words, normalise

__all__ = ["MAX_WORDS", "Article", "KnowledgeBase", "count_words", "normalise"]
