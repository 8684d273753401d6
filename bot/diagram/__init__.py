"""Flow diagrams: a compiled flow drawn as Mermaid text or Graphviz (SVG/PNG).

A policy officer who adapts a flow needs to *see* it: which questions, which
branches (with their conditions in plain Dutch), which sub-flows, advice and
ends. :mod:`bot.diagram.words` turns conditions into words,
:mod:`bot.diagram.build` turns a flow into nodes and edges, and
:mod:`bot.diagram.render` writes them as Mermaid or DOT (and runs ``dot``).
"""
