"""The catalogue: platforms and resources, imported from feeds."""
