"""How a call whose arguments do not convert is reported (docs/python.md, "Errors").

pybind11's own TypeError prints the repr of every argument, so a card number passed in the wrong place
would end up in a log. The module's guard (bindings/python/guard.cpp) replaces that message with the one
explain() writes here: the function, the parameter, the type it expects and the type it got, and never a
value. It runs only after a call has failed, so it costs nothing on the way to a result.
"""

import collections.abc
import datetime
import decimal

_ANY = {"object", "handle", "Any", "args", "kwargs", "iterable", "iterator", "none"}


def explain(function, signatures, args, kwargs, name_only=False):
    """The message for a failed call of `function` ("Ledger.transfer") with one pybind11 signature per
    overload, such as "(self: billing._billing.Ledger, debit: str, ...) -> billing._billing.PostOutcome".
    When no argument is found at fault, the message gives the signature, or is None with `name_only`."""
    problems = []
    constructing = function.endswith((".__init__", ".__setstate__"))  # self is not made yet: never its fault
    for signature in signatures:
        parameters = _parameters(signature)
        if constructing and parameters and parameters[0].name == "self":
            parameters[0].annotation = "object"
        problem = _check(parameters, args, kwargs)
        if problem is None:  # this overload looks fine from here
            return None if name_only else f"{function}(): the arguments do not match {function}{_shown(signature)}"
        problems.append(problem)
    return f"{function}(): {problems[0]}"


# ---------------------------------------------------------------------------------------------- signatures


def _split(text, separator=","):
    """`text` split at `separator` outside brackets and quotes."""
    parts, depth, quote, start = [], 0, None, 0
    for i, c in enumerate(text):
        if quote:
            if c == quote and text[i - 1] != "\\":
                quote = None
        elif c in "'\"":
            quote = c
        elif c in "([{<":
            depth += 1
        elif c in ")]}>" and not (c == ">" and text[i - 1] == "-"):
            depth -= 1
        elif c == separator and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return parts


def _inside_parentheses(signature):
    depth = 0
    for i, c in enumerate(signature):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return signature[1:i]
    return signature.strip("()")


class _Parameter:
    def __init__(self, name, annotation, has_default, kind):
        self.name, self.annotation, self.has_default, self.kind = name, annotation, has_default, kind


def _parameters(signature):
    """The parameters of a pybind11 signature, each positional, positional-only or keyword-only."""
    out, kind = [], "positional"
    for part in _split(_inside_parentheses(signature)):
        if part == "*":
            kind = "keyword"
            continue
        if part == "/":
            for parameter in out:
                parameter.kind = "positional_only"
            continue
        name, _, rest = part.partition(":")
        annotation, equals, _default = rest.partition("=")
        out.append(_Parameter(name.strip().lstrip("*"), annotation.strip(), bool(equals), kind))
    return out


def _shown(signature):
    """The signature as a reader wants it: without self, with billing's public names."""
    inside = [p for p in _split(_inside_parentheses(signature)) if not p.startswith("self")]
    returns = signature.rpartition(")")[2]
    return _public(f"({', '.join(inside)}){returns}")


def _public(text):
    return text.replace("billing._billing.", "billing.")


def _bound_name(annotation):
    """"Money" for "billing.Money" (or the older "billing._billing.Money"), else None."""
    for prefix in ("billing._billing.", "billing."):
        if annotation.startswith(prefix):
            return annotation[len(prefix):]
    return None


# ---------------------------------------------------------------------------------------------- checks


def _check(parameters, args, kwargs):
    """The first problem of the call against `parameters`, as text, or None when every argument fits."""
    positional = [p for p in parameters if p.kind != "keyword"]
    if len(args) > len(positional):
        shown = len(positional) - (1 if positional and positional[0].name == "self" else 0)
        return f"takes {shown} positional argument{'s' if shown != 1 else ''} but more were given"
    bound = {}
    for parameter, value in zip(positional, args):
        bound[parameter.name] = value
    names = {p.name: p for p in parameters}
    for name in kwargs:
        parameter = names.get(name)
        if parameter is None or parameter.kind == "positional_only":
            return f"got an unexpected keyword argument '{name}'"
        if name in bound:
            return f"got more than one value for the argument '{name}'"
        bound[name] = kwargs[name]
    for parameter in parameters:
        if parameter.name not in bound and not parameter.has_default:
            return f"missing the required argument '{parameter.name}'"
    for parameter in parameters:
        if parameter.name in bound:
            problem = _mismatch(bound[parameter.name], parameter.annotation)
            if problem is not None:
                where, expected, got = problem
                return f"{parameter.name}{where}: expected {expected}, got {got}"
    return None


def _billing_type(name):
    from . import _billing  # the extension, loaded by then

    return getattr(_billing, name, None)


def _got(value):
    return type(value).__name__


def _mismatch(value, annotation):
    """None when `value` fits `annotation`, else (where inside it, expected, got): types only, never values."""
    a = annotation.strip()
    if not a or a in _ANY:
        return None  # converted by the binding itself, which names the parameter if it must refuse
    if a.startswith("Optional[") and a.endswith("]"):
        return None if value is None else _mismatch(value, a[len("Optional["):-1])
    if a.startswith("Union[") and a.endswith("]"):
        options = _split(a[len("Union["):-1])
        if any(_mismatch(value, option) is None for option in options):
            return None
        return "", " or ".join(_expected(option) for option in options), _got(value)
    if a.startswith("List[") and a.endswith("]"):
        inner = a[len("List["):-1]
        if isinstance(value, (str, bytes)) or not isinstance(value, collections.abc.Sequence):
            return "", f"a list of {_expected(inner)}", _got(value)
        for i, item in enumerate(value):
            problem = _mismatch(item, inner)
            if problem is not None:
                return f"[{i}]{problem[0]}", problem[1], problem[2]
        return None
    if a.startswith("Dict[") and a.endswith("]"):
        key_type, item_type = _split(a[len("Dict["):-1])
        if not isinstance(value, dict):
            return "", f"a dict of {_expected(key_type)} to {_expected(item_type)}", _got(value)
        for key, item in value.items():  # keys are named by their type only: a key may be data
            if _mismatch(key, key_type) is not None:
                return "", f"{_expected(key_type)} keys", f"a key of type {_got(key)}"
            if _mismatch(item, item_type) is not None:
                return "", f"{_expected(item_type)} values", f"a value of type {_got(item)}"
        return None
    if a.startswith("Callable") or a == "function":
        return None if callable(value) else ("", "a callable", _got(value))
    simple = {
        "str": lambda v: isinstance(v, str),
        "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "bool": lambda v: isinstance(v, bool),
        "bytes": lambda v: isinstance(v, bytes),
        "None": lambda v: v is None,
        "datetime.datetime": lambda v: isinstance(v, datetime.datetime),
        "datetime.timedelta": lambda v: isinstance(v, datetime.timedelta),
        "decimal.Decimal": lambda v: isinstance(v, decimal.Decimal),
    }
    if a in simple:
        return None if simple[a](value) else ("", _expected(a), _got(value))
    bound_name = _bound_name(a)
    if bound_name is not None:
        cls = _billing_type(bound_name)
        if cls is None:
            return None
        if not isinstance(value, cls):
            return "", _expected(a), _got(value)
        if not _billing_type("_initialised")(value):
            return "", f"an initialised {_expected(a)}", f"one made by __new__ without __init__"
        return None
    return None  # a type this check does not know: let the signature speak


def _expected(annotation):
    a = annotation.strip()
    if a.startswith("Optional[") and a.endswith("]"):
        return f"{_expected(a[len('Optional['):-1])} or None"
    if a.startswith("List[") and a.endswith("]"):
        return f"a list of {_expected(a[len('List['):-1])}"
    return _public(a)
