"""Blueprint ``ops``: what orchestrators and monitoring ask."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify

from .metrics import get_metrics

__all__ = ["bp"]

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready when the model is loaded and the database answers."""
    detector = current_app.extensions.get("tokenscam.detector")
    database = current_app.extensions["tokenscam.store"].ping()
    ready = detector is not None and database
    resp = jsonify(
        {
            "status": "ready" if ready else "not ready",
            "model": detector.version if detector is not None else None,
            "database": database,
        }
    )
    resp.status_code = 200 if ready else 503
    return resp


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text format."""
    return Response(get_metrics().render(), mimetype="text/plain; version=0.0.4")
