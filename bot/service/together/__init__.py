"""Working together (issue 10): parts where more than one person of an organisation acts."""
