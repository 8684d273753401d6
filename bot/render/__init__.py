"""Rendering summaries (the vastlegging) with Jinja2 in a sandbox."""
