"""Scripted conversations: a policy officer's tests for the flows they adapt.

A script (YAML, next to the flows) says what the professional types and what
the bot should ask, advise and write in the vastlegging. :mod:`.script`
reads it (today's ``flows/examples`` format, grown by per-step
expectations), :mod:`.player` plays it through the real engine and renderer,
:mod:`.check` compares and names the step where it went wrong.
"""
