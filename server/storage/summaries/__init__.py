"""Summaries of the evidence history, kept up to date in the intake transaction (docs/architecture.md).

Reports, plans, executive reports and the dashboard read these small tables instead of scanning
executions and closures: `tables` declares them, `maintain` applies one batch's deltas, `rebuild`
builds them from history (the migration and seeding).
"""
