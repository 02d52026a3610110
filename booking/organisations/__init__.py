"""Organisations: verified companies and institutes, their members, and who decides who belongs.

Rules live in `service` (plain functions taking the acting user); `cli` is `onestop orgs`.
"""
