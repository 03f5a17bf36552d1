"""Logging for the service: nothing that reaches a log carries personal data unmasked.

Views never log message text; this filter is the second line of defence for what an exception
message or a library might put in a record.
"""

from __future__ import annotations

import logging

from flask import Flask

from tokenscam.mask import mask_pii

__all__ = ["init_app", "MaskingFilter"]


class MaskingFilter(logging.Filter):
    """Masks phone, ID-card and bank-card numbers, emails and WeChat/QQ ids in each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still logged, as its template
            message = str(record.msg)
        record.msg = mask_pii(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = mask_pii(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def init_app(app: Flask) -> None:
    level = str(app.config.get("LOG_LEVEL") or "INFO").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(MaskingFilter())
    for name in ("service", "tokenscam"):
        logger = logging.getLogger(name)
        logger.handlers = [handler]
        logger.setLevel(level)
        logger.propagate = False
    app.logger.handlers = [handler]
    app.logger.setLevel(level)
