"""billing: exact money, an append-only ledger and the rules that move money, embedded.

Amounts go in and out as :class:`decimal.Decimal`, ``str`` or ``int``; a ``float`` is a ``TypeError``.
Times are aware :class:`datetime.datetime` values. Every error derives from :class:`BillingError` and
carries ``.code`` (an :class:`ErrorCode`) and ``.field`` (the input at fault, or ``""``).

>>> import billing
>>> billing.Money("19.99", "USD").multiply(3)
Money('59.97', 'USD')
"""

from ._billing import (  # noqa: F401  (re-exported)
    __version__,
    BillingError,
    Clock,
    Currency,
    CurrencyMismatch,
    DivisionByZero,
    ErrorCode,
    IdSource,
    InvalidAmount,
    InvalidArgument,
    InvariantViolation,
    ManualClock,
    Misuse,
    Money,
    Overflow,
    RoundingMode,
    SequentialIds,
    StorageError,
    SystemClock,
    UnknownCurrency,
    Uuid7Ids,
    currencies,
    divide,
    multiply,
    quantize,
    register_unit,
)

__all__ = [
    "__version__",
    "BillingError",
    "Clock",
    "Currency",
    "CurrencyMismatch",
    "DivisionByZero",
    "ErrorCode",
    "IdSource",
    "InvalidAmount",
    "InvalidArgument",
    "InvariantViolation",
    "ManualClock",
    "Misuse",
    "Money",
    "Overflow",
    "RoundingMode",
    "SequentialIds",
    "StorageError",
    "SystemClock",
    "UnknownCurrency",
    "Uuid7Ids",
    "currencies",
    "divide",
    "multiply",
    "quantize",
    "register_unit",
]
