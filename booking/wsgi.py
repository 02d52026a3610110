"""gunicorn entry point: `gunicorn booking.wsgi:app` (never starts a scheduler)."""
from booking import create_app

app = create_app()
