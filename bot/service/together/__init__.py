"""Working together (issue 10): the parts where people act on each other's cases."""
