"""format(money, spec) and f"{money:spec}" (docs/money.md, "Formatting").

The amount keeps the currency's places: a spec can align, pad, sign and group it, never round it, so a
precision such as ".2" is refused rather than obeyed. Rounding is a decision, made with Money.multiply
or billing.quantize, with its mode named.
"""

import re

# [[fill]align][sign][width][grouping][type], as in Python's format-spec mini-language.
_SPEC = re.compile(
    r"(?:(?P<fill>.)?(?P<align>[<>^]))?(?P<sign>[-+ ])?(?P<width>[1-9][0-9]*)?(?P<grouping>[,_])?(?P<type>a)?\Z",
    re.DOTALL,
)

MAX_WIDTH = 1000  # a limit like every other (docs/python.md, "Limits"): no spec asks for a huge string


def money_format(money, spec):
    """format(money, spec): '' gives str(money), '12.30 USD'. The spec is [[fill]align][sign][width]
    [grouping][type]: align < > ^ (right by default, as for numbers), sign + - or space, a width up to
    1000, grouping , or _ for thousands, and type 'a' for the amount alone. A precision, '=' alignment,
    zero padding or another type is a ValueError: Money keeps its currency's places."""
    if not isinstance(spec, str):
        raise TypeError(f"Money.__format__(): format_spec: expected str, got {type(spec).__name__}")
    if spec == "":
        return str(money)
    match = _SPEC.match(spec)
    if match is None:
        raise ValueError(
            f"Invalid format specifier {spec!r} for Money: use [[fill]align][sign][width][,|_][a] "
            "(docs/money.md); a precision would round, so round first with multiply() or quantize()"
        )
    width = int(match["width"] or 0)
    if width > MAX_WIDTH:
        raise ValueError(f"Invalid format specifier for Money: a width of {width} is more than {MAX_WIDTH}")
    amount = format(money.amount, f"{match['sign'] or ''}{',' if match['grouping'] else ''}f")
    if match["grouping"] == "_":  # decimal.Decimal groups with "," only
        amount = amount.replace(",", "_")
    text = amount if match["type"] == "a" else f"{amount} {money.currency.code}"
    return format(text, f"{match['fill'] or ' '}{match['align'] or '>'}{width or ''}")
