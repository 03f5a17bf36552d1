"""The OpenAPI 3.1 description of the API, built from the running limits.

Tests validate it with openapi-spec-validator and check real responses against its schemas, so
it cannot drift from what the service does without a test failing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tokenscam import VERDICTS, __version__
from tokenscam.exports.scoring import OUTPUT_FIELDS

from .errors import CODES

__all__ = ["openapi_document"]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json(_ref("Error"))}


_AUTH_ERRORS = {
    "401": _error("No API key, a malformed Authorization header, or an unknown key."),
    "403": _error("The key is valid but may not use this endpoint."),
    "429": {
        "description": "The key's rate limit is reached; Retry-After says when to retry.",
        "headers": {"Retry-After": {"schema": {"type": "integer", "minimum": 1}}},
        "content": _json(_ref("Error")),
    },
}
_SERVER_ERROR = {"500": _error("Unexpected error (logged; no details are returned).")}


def _not_allowed(allowed: str) -> dict[str, Any]:
    return {
        "summary": f"Any other method than {allowed}",
        "description": "Answered with 405 and an Allow header.",
        "responses": {
            "405": {
                "description": "Method not allowed.",
                "headers": {"Allow": {"schema": {"type": "string"}}},
                "content": _json(_ref("Error")),
            }
        },
    }


def openapi_document(config: Mapping[str, Any]) -> dict[str, Any]:
    max_messages = int(config["MAX_MESSAGES"])
    max_chars = int(config["MAX_CHARS"])
    max_mb = int(config["MAX_UPLOAD_MB"])
    span = {
        "type": "object",
        "description": "[start, end) in Unicode code points of the ORIGINAL text, and the "
        "characters there.",
        "required": ["start", "end", "text"],
        "additionalProperties": False,
        "properties": {
            "start": {"type": "integer", "minimum": 0},
            "end": {"type": "integer", "minimum": 0},
            "text": {"type": "string"},
        },
    }
    text = {"type": "string", "minLength": 1, "maxLength": max_chars}
    message_id = {"oneOf": [{"type": "string", "maxLength": 200}, {"type": "integer"}]}
    schemas: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["error"],
            "additionalProperties": False,
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "additionalProperties": False,
                    "properties": {
                        "code": {
                            "type": "string",
                            "enum": sorted({*CODES.values(), "bad_json", "bad_export"}),
                        },
                        "message": {"type": "string"},
                    },
                }
            },
        },
        "Span": span,
        "Tactic": {
            "type": "object",
            "required": ["name", "label", "evidence"],
            "additionalProperties": False,
            "properties": {
                "name": {"type": "string"},
                "label": {"type": "string", "description": "Chinese label of the tactic."},
                "evidence": {"type": "array", "items": _ref("Span")},
            },
        },
        "Term": {
            "type": "object",
            "required": ["term", "weight", "evidence"],
            "additionalProperties": False,
            "properties": {
                "term": {"type": "string"},
                "weight": {"type": "number"},
                "evidence": {"type": "array", "items": _ref("Span")},
            },
        },
        "Message": {
            "type": "object",
            "required": ["text"],
            "additionalProperties": False,
            "properties": {
                "id": {**message_id, "description": "Echoed back; default: the position."},
                "text": text,
                "sender": {"type": ["string", "null"], "maxLength": 200},
            },
        },
        "ScoreRequest": {
            "oneOf": [
                {
                    "type": "object",
                    "required": ["text"],
                    "additionalProperties": False,
                    "properties": {"text": text, "explain": {"type": "boolean"}},
                },
                {
                    "type": "object",
                    "required": ["messages"],
                    "additionalProperties": False,
                    "properties": {
                        "messages": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": max_messages,
                            "items": _ref("Message"),
                        },
                        "explain": {"type": "boolean"},
                    },
                },
            ],
            "description": "One message as `text`, or a batch as `messages`. `explain: true` "
            "adds `top_terms` (otherwise an empty list; it doubles the cost).",
        },
        "Result": {
            "type": "object",
            "required": ["id", "score", "verdict", "tactics", "top_terms"],
            "additionalProperties": False,
            "properties": {
                "id": message_id,
                "sender": {"type": "string"},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "verdict": {"type": "string", "enum": list(VERDICTS)},
                "tactics": {"type": "array", "items": _ref("Tactic")},
                "top_terms": {"type": "array", "items": _ref("Term")},
            },
        },
        "ModelRef": {
            "type": "object",
            "required": ["version"],
            "properties": {"version": {"type": "string"}},
        },
        "ScoreResponse": {
            "type": "object",
            "required": ["model", "results"],
            "additionalProperties": False,
            "properties": {
                "model": _ref("ModelRef"),
                "results": {"type": "array", "items": _ref("Result")},
            },
        },
        "ExportMessage": {
            "type": "object",
            "required": list(OUTPUT_FIELDS),
            "properties": {
                "source_format": {"type": "string"},
                "chat": {"type": "string"},
                "message_id": {"type": "string"},
                "sender_id": {"type": "string"},
                "sender": {"type": "string"},
                "timestamp": {"type": ["string", "null"]},
                "text": {"type": "string"},
                "urls": {"type": "array", "items": {"type": "string"}},
                "score": {"type": "number", "minimum": 0, "maximum": 1},
                "verdict": {"type": "string", "enum": list(VERDICTS)},
                "tactics": {"type": "array", "items": _ref("Tactic")},
            },
        },
        "Sender": {
            "type": "object",
            "required": [
                "sender_id",
                "sender",
                "messages",
                "flagged",
                "blocked",
                "expected_pitches",
                "max_score",
                "mean_score",
                "tactics",
                "handles",
            ],
            "properties": {
                "sender_id": {"type": "string"},
                "sender": {"type": "string"},
                "other_names": {"type": "array", "items": {"type": "string"}},
                "chats": {"type": "array", "items": {"type": "string"}},
                "messages": {"type": "integer"},
                "flagged": {"type": "integer"},
                "blocked": {"type": "integer"},
                "expected_pitches": {"type": "number", "description": "Sum of the scores."},
                "max_score": {"type": "number"},
                "mean_score": {"type": "number"},
                "tactics": {"type": "object", "additionalProperties": {"type": "integer"}},
                "first": {"type": ["string", "null"]},
                "last": {"type": ["string", "null"]},
                "handles": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "ExportSummary": {
            "type": "object",
            "required": ["source", "source_format", "counts", "verdicts", "senders", "chats"],
            "properties": {
                "source": {"type": "string"},
                "source_format": {"type": "string"},
                "model": {"type": "string"},
                "thresholds": {"type": "object"},
                "masked": {"type": "boolean"},
                "counts": {
                    "type": "object",
                    "required": ["read", "scored", "skipped", "bad", "accounted"],
                    "properties": {
                        "read": {"type": "integer"},
                        "scored": {"type": "integer"},
                        "skipped": {"type": "object"},
                        "skipped_total": {"type": "integer"},
                        "bad": {"type": "integer"},
                        "accounted": {"type": "boolean"},
                    },
                },
                "verdicts": {
                    "type": "object",
                    "additionalProperties": {"type": "integer"},
                },
                "senders": {
                    "type": "array",
                    "items": _ref("Sender"),
                    "description": "Ranked by expected pitches (sum of scores), highest first.",
                },
                "chats": {"type": "array", "items": {"type": "object"}},
            },
        },
        "ExportResponse": {
            "type": "object",
            "required": ["model", "summary", "messages", "errors"],
            "additionalProperties": False,
            "properties": {
                "model": _ref("ModelRef"),
                "summary": _ref("ExportSummary"),
                "messages": {"type": "array", "items": _ref("ExportMessage")},
                "errors": {
                    "type": "array",
                    "description": "Malformed entries (skipped), at most 100, personal data masked.",
                    "items": {
                        "type": "object",
                        "required": ["line", "message"],
                        "properties": {
                            "line": {"type": "integer"},
                            "message": {"type": "string"},
                        },
                    },
                },
            },
        },
        "ModelInfo": {
            "type": "object",
            "required": ["version", "thresholds", "metrics", "card"],
            "additionalProperties": False,
            "properties": {
                "version": {"type": "string"},
                "thresholds": {
                    "type": "object",
                    "required": ["review", "block"],
                    "properties": {
                        "review": {"type": "number"},
                        "block": {"type": "number"},
                    },
                },
                "metrics": {"type": "object"},
                "card": {"type": "object", "description": "The whole model card."},
            },
        },
        "Health": {
            "type": "object",
            "required": ["status"],
            "properties": {"status": {"type": "string", "enum": ["ok"]}},
        },
        "Ready": {
            "type": "object",
            "required": ["status", "model", "database"],
            "properties": {
                "status": {"type": "string", "enum": ["ready", "not ready"]},
                "model": {"type": ["string", "null"]},
                "database": {"type": "boolean"},
            },
        },
    }
    bad_body = {
        "400": _error("Malformed JSON (code bad_json), or missing, empty or wrong fields."),
        "413": _error(
            f"Body over {max_mb} MB, more than {max_messages} messages, or a text over "
            f"{max_chars} characters."
        ),
        "415": _error("Not application/json in UTF-8."),
    }
    paths: dict[str, Any] = {
        "/api/v1/score": {
            "post": {
                "operationId": "score",
                "summary": "Score one message or a batch",
                "security": [{"apiKey": []}, {}],
                "requestBody": {"required": True, "content": _json(_ref("ScoreRequest"))},
                "responses": {
                    "200": {
                        "description": "One result per message, in order.",
                        "content": _json(_ref("ScoreResponse")),
                    },
                    **bad_body,
                    **_AUTH_ERRORS,
                    **_SERVER_ERROR,
                },
            },
            "get": _not_allowed("POST"),
        },
        "/api/v1/score/export": {
            "post": {
                "operationId": "scoreExport",
                "summary": "Score an uploaded chat export",
                "description": "The export (WeChat, QQ, Telegram, WhatsApp, LINE, Discord, or a "
                "generic table with its columns named) is recognised from its content, scored "
                "message by message and rolled up per sender.",
                "security": [{"apiKey": []}, {}],
                "parameters": [
                    {
                        "name": "messages",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string", "enum": ["all", "flagged", "none"]},
                        "description": "Which scored messages to return (default all).",
                    }
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {
                                        "type": "string",
                                        "contentMediaType": "application/octet-stream",
                                    },
                                    "format": {
                                        "type": "string",
                                        "description": "Force a reader (see `tokenscam formats`).",
                                    },
                                    "timezone": {"type": "string"},
                                    "mask_pii": {"type": "string", "enum": ["true", "false"]},
                                    "text_column": {"type": "string"},
                                    "sender_column": {"type": "string"},
                                    "time_column": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {
                        "description": "Every message scored and the sender ranking.",
                        "content": _json(_ref("ExportResponse")),
                    },
                    "400": _error("No file, or not an export we can read (code bad_export)."),
                    "413": _error(f"Upload over {max_mb} MB."),
                    "415": _error("Not multipart/form-data."),
                    **_AUTH_ERRORS,
                    **_SERVER_ERROR,
                },
            },
            "get": _not_allowed("POST"),
        },
        "/api/v1/model": {
            "get": {
                "operationId": "model",
                "summary": "The model being served",
                "security": [{"apiKey": []}, {}],
                "responses": {
                    "200": {
                        "description": "Version, thresholds, metrics, card.",
                        "content": _json(_ref("ModelInfo")),
                    },
                    **_AUTH_ERRORS,
                    **_SERVER_ERROR,
                },
            }
        },
        "/api/v1/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "responses": {
                    "200": {"description": "OpenAPI 3.1.", "content": _json({"type": "object"})}
                },
            }
        },
        "/healthz": {
            "get": {
                "operationId": "health",
                "summary": "The process is alive",
                "responses": {"200": {"description": "Alive.", "content": _json(_ref("Health"))}},
            }
        },
        "/readyz": {
            "get": {
                "operationId": "ready",
                "summary": "The model is loaded and the database answers",
                "responses": {
                    "200": {"description": "Ready.", "content": _json(_ref("Ready"))},
                    "503": {"description": "Not ready.", "content": _json(_ref("Ready"))},
                },
            }
        },
        "/metrics": {
            "get": {
                "operationId": "metrics",
                "summary": "Prometheus metrics",
                "responses": {
                    "200": {
                        "description": "Prometheus text format 0.0.4.",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "tokenscam",
            "version": __version__,
            "description": "Detects Chinese-language token-hoarding investment scams, with the "
            'evidence. Every error is JSON {"error": {"code", "message"}}; unknown paths '
            "answer 404 (code not_found), other methods 405 (method_not_allowed). API keys "
            "(Authorization: Bearer <key>) are required unless the service listens on "
            "loopback and the client is local.",
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"apiKey": {"type": "http", "scheme": "bearer"}},
            "responses": {"NotFound": _error("No such path.")},
        },
    }
