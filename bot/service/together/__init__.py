"""Working together (issue 10): the parts where more than one person of an organisation
acts on a case: a colleague confirms, a team lead escalates to the team."""
