"""The one model of the service: loaded and warmed once per process, read by every request."""

from __future__ import annotations

import threading

from flask import Flask, current_app

from tokenscam import Detector

__all__ = ["init_app", "get_detector"]

_KEY = "tokenscam.detector"
# One load per process and model path: gunicorn's master loads it before forking (--preload);
# apps built again in the same process (tests, the reloader) reuse it.
_LOADED: dict[str, Detector] = {}
_LOCK = threading.Lock()


def init_app(app: Flask) -> None:
    path = app.config.get("MODEL") or ""
    with _LOCK:
        detector = _LOADED.get(path)
        if detector is None:
            # Fail at start, with the library's message, rather than with a 500 later.
            detector = Detector.load(path or None)
            # Warm the normaliser, segmenter and scorer now, not on the first request.
            detector.score("预热：现在囤词元以后买不起，加V私聊 tk_8888", explain=True)
            _LOADED[path] = detector
    app.extensions[_KEY] = detector


def get_detector() -> Detector:
    return current_app.extensions[_KEY]
