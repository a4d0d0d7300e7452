"""The `flask --app app` CLI target and the WSGI entry point (`gunicorn app:app`)."""

from cms import create_app

app = create_app()
