"""The booking side of search: feeding the `search` index from the database."""
