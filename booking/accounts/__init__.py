"""Accounts: registration, passwords, throttled log-in, API tokens and roles."""
