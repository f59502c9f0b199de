"""Facts about the Softr APIs that both the client and the emulator need.

This is the only module the emulator shares with the client side: plain constants taken from
the API contract (softr-api.md), never behaviour, so that the emulator can still catch the
client's mistakes.
"""

from __future__ import annotations

from typing import Final

DATABASE_API_URL: Final = "https://tables-api.softr.io/api/v1"
USERS_API_URL: Final = "https://studio-api.softr.io/v1/api"

API_KEY_HEADER: Final = "Softr-Api-Key"
DOMAIN_HEADER: Final = "Softr-Domain"

MAX_PAGE_SIZE: Final = 200
DEFAULT_PAGE_SIZE: Final = 20
MAX_BODY_BYTES: Final = 64 * 1024 * 1024

#: The 26 field types of the current API, in the order of the OpenAPI enum.
FIELD_TYPES: Final[tuple[str, ...]] = (
    "SINGLE_LINE_TEXT",
    "CHECKBOX",
    "CURRENCY",
    "DATE",
    "DATETIME",
    "DURATION",
    "EMAIL",
    "SELECT",
    "NUMBER",
    "ATTACHMENT",
    "RATING",
    "LINKED_RECORD",
    "LONG_TEXT",
    "URL",
    "PERCENT",
    "PHONE",
    "LOOKUP",
    "ROLLUP",
    "FORMULA",
    "CREATED_AT",
    "UPDATED_AT",
    "CREATED_BY",
    "UPDATED_BY",
    "AUTONUMBER",
    "RECORD_ID",
    "USER",
)

#: Types whose values the server computes; they are never written.
READ_ONLY_TYPES: Final = frozenset(
    {
        "LOOKUP",
        "ROLLUP",
        "FORMULA",
        "CREATED_AT",
        "UPDATED_AT",
        "CREATED_BY",
        "UPDATED_BY",
        "AUTONUMBER",
        "RECORD_ID",
    }
)

#: Types that may hold several values when the field has ``allowMultipleEntries``.
MULTI_VALUE_TYPES: Final = frozenset({"SELECT", "USER", "LINKED_RECORD", "ATTACHMENT"})

TEXT_TYPES: Final = frozenset({"SINGLE_LINE_TEXT", "LONG_TEXT", "EMAIL", "PHONE", "URL"})
NUMERIC_TYPES: Final = frozenset(
    {"NUMBER", "CURRENCY", "PERCENT", "RATING", "DURATION", "AUTONUMBER"}
)
DATE_TYPES: Final = frozenset({"DATE", "DATETIME", "CREATED_AT", "UPDATED_AT"})

#: Documented maximum lengths, in characters, of text values.
TEXT_LIMITS: Final[dict[str, int]] = {
    "SINGLE_LINE_TEXT": 1024,
    "LONG_TEXT": 65536,
    "EMAIL": 320,
    "URL": 2000,
    "PHONE": 25,
}

#: Functions a ROLLUP field may apply.
ROLLUP_FUNCTIONS: Final[tuple[str, ...]] = (
    "SUM",
    "MIN",
    "MAX",
    "COUNT",
    "AVERAGE",
    "ARRAYCOMPACT",
    "ARRAYJOIN",
    "ARRAYUNIQUE",
    "ARRAYFLATTEN",
    "CONCATENATE",
    "COUNTALL",
    "COUNTA",
    "OR",
    "AND",
)

BINARY_OPERATORS: Final[tuple[str, ...]] = (
    "IS",
    "IS_NOT",
    "GREATER_THAN",
    "GREATER_THAN_OR_EQUALS",
    "LESS_THAN",
    "LESS_THAN_OR_EQUALS",
    "CONTAINS",
    "DOES_NOT_CONTAIN",
    "STARTS_WITH",
    "DOES_NOT_START_WITH",
    "ENDS_WITH",
    "DOES_NOT_END_WITH",
    "IS_ONE_OF",
    "IS_NOT_ONE_OF",
    "HAS_ANY_OF",
    "HAS_ALL_OF",
    "HAS_NONE_OF",
)
UNARY_OPERATORS: Final[tuple[str, ...]] = ("IS_EMPTY", "IS_NOT_EMPTY")
RANGE_OPERATORS: Final[tuple[str, ...]] = (
    "IS_BETWEEN",
    "IS_NOT_BETWEEN",
    "IS_WITHIN",
    "IS_NOT_WITHIN",
)
COMPOUND_OPERATORS: Final[tuple[str, ...]] = ("AND", "OR")
#: All 25 operators of the search filter grammar.
OPERATORS: Final[tuple[str, ...]] = (
    BINARY_OPERATORS + UNARY_OPERATORS + RANGE_OPERATORS + COMPOUND_OPERATORS
)

#: Every lookup a filter keyword may end with (``score__gte``); no suffix means ``exact``.
#: The client's compiler maps each to a Softr operator (docs/queries.md).
LOOKUPS: Final[tuple[str, ...]] = (
    "exact",
    "gt",
    "gte",
    "lt",
    "lte",
    "contains",
    "startswith",
    "endswith",
    "in",
    "has_any",
    "has_all",
    "has_none",
    "isnull",
    "range",
    "within",
)

#: Pseudo-fields accepted as ``leftSide`` and ``sortingField`` in searches.
PSEUDO_FIELDS: Final = ("created_at", "updated_at")

#: errorCode -> HTTP status, as in the error table of the API overview.
ERROR_CODES: Final[dict[str, int]] = {
    "BAD_REQUEST": 400,
    "VALIDATION_ERROR": 400,
    "UNKNOWN_FIELD": 400,
    "UNAUTHORIZED": 401,
    "QUOTA_EXCEEDED": 402,
    "FORBIDDEN": 403,
    "RESOURCE_NOT_FOUND": 404,
    "CONSTRAINT_VIOLATION": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "TOO_MANY_REQUESTS": 429,
    "SERVICE_UNAVAILABLE": 503,
}

#: Requests per second per token.
READ_RATE_LIMIT: Final = 40
WRITE_RATE_LIMIT: Final = 30
