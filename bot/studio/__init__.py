"""The flow studio: a local web page where a policy officer sees, checks and tries flows.

``voorkomen studio`` serves it on 127.0.0.1. It reloads the flows folder on
every page, so an edit shows on the next refresh: each flow as its diagram,
the problems of ``flows check`` next to the line they are about, a chat panel
on the real engine and service (in memory, nothing stored in the database),
and the decision diff against the published flows.
"""
