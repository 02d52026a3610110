"""Sharing-performance figures (issue 13): the numbers platforms are judged by.

- `periods`: the month, quarter, year or custom span, placed in each platform's time zone;
- `scope`: who may read which platform's figures (staff their own, administrators all);
- `figures`: the figures as SQL aggregates grouped by resource, platform, city or the service;
- `drilldown`: the bookings and orders behind any figure, with the same conditions;
- `export`: XLSX and CSV files of a report;
- `cli`: `onestop report usage`.

Every function takes the acting user (or a resolved scope) as an argument and never reads
request globals, so the pages, the API and the command line call the same code.
"""
