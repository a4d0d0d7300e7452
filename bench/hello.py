"""The reference: a bare Flask hello-world, served like Causerie (`gunicorn bench.hello:app`)."""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "Hello, World!"
