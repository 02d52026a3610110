"""Billing: what users and organisations used in a month, in money (the monthly statement)."""
