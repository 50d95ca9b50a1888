"""The trivial Flask endpoint that the verification API is measured against (same server, same run)."""

from flask import Flask, jsonify

app = Flask(__name__)


@app.post("/api/v1/verify")
def verify():  # type: ignore[no-untyped-def]
    return jsonify(valid=True)
