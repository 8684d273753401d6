"""Benchmarks for issue #6: ``python -m bench`` (``make bench``) writes ``bench/RESULTS.md``.

See ``bench/README.md`` for what is measured and how.
"""
