"""Chinese working days, holiday tables, case deadlines and review schedules, calendar feeds."""
