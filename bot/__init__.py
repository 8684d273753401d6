"""Voorkomen: a guided decision-support chatbot for Dutch youth-care professionals.

The package is layered (see docs/architecture.md): ``flowspec`` turns YAML into a
validated flow graph, ``engine`` runs it without any I/O, ``service`` drives a
conversation through ports, and ``store``, ``render``, ``knowledge`` and
``channels`` are the adapters that ``app`` wires together.
"""

__version__ = "0.1.0"
