"""Schemathesis hooks for scripts/contract (loaded through SCHEMATHESIS_HOOKS).

Two failure kinds are dropped, and Schemathesis counts and shows what a hook dropped:
- a request that is "schema-violating" only because it carries a request header the operation
  does not declare. Every HTTP client, proxy and browser adds headers of its own, so a server
  that ignores unknown headers is right; refusing them is not something the document can ask
  for. Unknown query parameters and body properties are still sent and still checked.
- "random bytes" for a body the document marks optional that came out as no bytes at all: an
  empty body is no body, which the document allows (`POST /api/chats/{id}/read`).
- a plain GET of a dialect's socket (`/api/v1/ws`, `/api/chat/ws/{chat_id}`,
  `/api/unet-chat/ws/conversations/{id}/`) "rejected" with 426 Upgrade Required, which the
  document lists: it answers 101 only to a WebSocket handshake, which Schemathesis does not make
  (tests/api/dialect_* drive them with a WebSocket client); their 401s and 403s and their
  answers' shapes are still checked, and any other refusal (a 400) is still a failure.
"""

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.openapi.checks import RejectedPositiveData

SOCKETS = {"/api/v1/ws", "/api/chat/ws/{chat_id}", "/api/unet-chat/ws/conversations/{id}/"}


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if isinstance(failure, AcceptedNegativeData) and "in header - object with unexpected propert" in (
        failure.message or ""
    ):
        return False
    if isinstance(failure, RejectedPositiveData) and case.operation.path in SOCKETS and response.status_code == 426:
        return False
    if isinstance(failure, AcceptedNegativeData) and "random bytes" in (failure.message or ""):
        body = getattr(getattr(response, "request", None), "body", None)
        optional = not (case.operation.definition.raw.get("requestBody") or {}).get("required", False)
        if optional and not body:
            return False
    return True
