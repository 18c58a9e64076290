"""Pydantic's refusals in the reader's language: each error ``type`` is a catalogue sentence whose placeholders
are the error's ``ctx`` values (``validation_message``). Used by the API's 422 problems (dialer.web.problems) and
the campaign file's validation (dialer.campaign.config); ``loc`` and ``type`` stay pydantic's."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from dialer.i18n import M_, N_, Message, OneOf, message_of

# pydantic's error types (https://docs.pydantic.dev/latest/errors/validation_errors/) → catalogue sentences; the
# placeholders are the error's ``ctx`` values; no placeholder holds a library's English text (an ``error`` ctx).
# A type not listed here (one a later pydantic adds) reads "invalid value ({type})".
_VALIDATION_MESSAGES: dict[str, str] = {
    "missing": N_("this field is required"),
    "extra_forbidden": N_("unknown field: it is not accepted here"),
    "string_type": N_("text is expected"),
    "string_too_short": N_("at least {min_length} characters"),
    "string_too_long": N_("at most {max_length} characters"),
    # the field's pattern's own sentence when it has one (PATTERN_MESSAGES): never the regular expression
    "string_pattern_mismatch": N_("not in the form expected here"),
    "string_unicode": N_("text is expected"),
    "too_short": N_("at least {min_length} items"),
    "too_long": N_("at most {max_length} items"),
    "int_type": N_("a whole number is expected"),
    "int_parsing": N_("a whole number is expected"),
    "int_parsing_size": N_("the number is too large"),
    "int_from_float": N_("a whole number is expected, not a fraction"),
    "float_type": N_("a number is expected"),
    "float_parsing": N_("a number is expected"),
    "decimal_type": N_("a number is expected"),
    "decimal_parsing": N_("a number is expected"),
    "finite_number": N_("a finite number is expected"),
    "bool_type": N_("true or false is expected"),
    "bool_parsing": N_("true or false is expected"),
    "greater_than": N_("must be greater than {gt}"),
    "greater_than_equal": N_("must be at least {ge}"),
    "less_than": N_("must be less than {lt}"),
    "less_than_equal": N_("must be at most {le}"),
    "multiple_of": N_("must be a multiple of {multiple_of}"),
    "literal_error": N_("must be one of {expected}"),
    "enum": N_("must be one of {expected}"),
    "list_type": N_("a list is expected"),
    "tuple_type": N_("a list is expected"),
    "set_type": N_("a list is expected"),
    "dict_type": N_("an object is expected"),
    "model_type": N_("an object is expected"),
    "model_attributes_type": N_("an object is expected"),
    "none_required": N_("must be null"),
    "json_invalid": N_("not valid JSON"),
    "json_type": N_("not valid JSON"),
    "datetime_type": N_("a date and time is expected (ISO 8601, e.g. 2026-01-31T09:00:00+09:00)"),
    "datetime_parsing": N_("a date and time is expected (ISO 8601, e.g. 2026-01-31T09:00:00+09:00)"),
    "datetime_from_date_parsing": N_("a date and time is expected (ISO 8601, e.g. 2026-01-31T09:00:00+09:00)"),
    "timezone_aware": N_("the time needs a time zone offset (e.g. +09:00)"),
    "timezone_naive": N_("the time must not carry a time zone offset"),
    "date_type": N_("a date is expected (YYYY-MM-DD)"),
    "date_parsing": N_("a date is expected (YYYY-MM-DD)"),
    "date_from_datetime_parsing": N_("a date is expected (YYYY-MM-DD)"),
    "time_type": N_("a time of day is expected (HH:MM)"),
    "time_parsing": N_("a time of day is expected (HH:MM)"),
    "url_type": N_("a URL is expected"),
    "url_parsing": N_("not a valid URL"),
    "url_scheme": N_("the URL's scheme must be one of {expected_schemes}"),
    "uuid_type": N_("a UUID is expected"),
    "uuid_parsing": N_("not a valid UUID"),
    "union_tag_invalid": N_("{tag} is not one of {expected_tags}"),
    "union_tag_not_found": N_("the field {discriminator} is required"),
    # the rest of pydantic-core's ErrorType list: every type has its sentence (tests/unit/test_i18n_parsers.py)
    "value_error": N_("invalid value"),
    "assertion_error": N_("invalid value"),
    "no_such_attribute": N_("unknown field: it is not accepted here"),
    "needs_python_object": N_("a value of another kind is expected"),
    "recursion_loop": N_("the value refers to itself"),
    "recursion_depth_exceeded": N_("the value is nested too deep"),
    "frozen_field": N_("this field cannot be changed"),
    "frozen_instance": N_("this value cannot be changed"),
    "invalid_key": N_("the keys must be text"),
    "get_attribute_error": N_("a value of another kind is expected"),
    "dataclass_type": N_("an object is expected"),
    "dataclass_exact_type": N_("an object is expected"),
    "named_tuple_type": N_("a list is expected"),
    "default_factory_not_called": N_("this field cannot take its default here"),
    "iterable_type": N_("a list is expected"),
    "iteration_error": N_("a list is expected"),
    "string_not_ascii": N_("only ASCII characters are accepted"),
    "frozen_dict_type": N_("an object is expected"),
    "ordered_dict_type": N_("an object is expected"),
    "counter_type": N_("an object is expected"),
    "mapping_type": N_("an object is expected"),
    "deque_type": N_("a list is expected"),
    "frozen_set_type": N_("a list is expected"),
    "set_item_not_hashable": N_("a list of plain values is expected"),
    "bytes_type": N_("text is expected"),
    "bytes_too_short": N_("at least {min_length} bytes"),
    "bytes_too_long": N_("at most {max_length} bytes"),
    "bytes_invalid_encoding": N_("not valid {encoding} data"),
    "missing_sentinel_error": N_("this field is required"),
    "ellipsis_error": N_("invalid value"),
    "date_from_datetime_inexact": N_("a date without a time of day is expected"),
    "date_past": N_("the date must be in the past"),
    "date_future": N_("the date must be in the future"),
    "datetime_object_invalid": N_("a date and time is expected (ISO 8601, e.g. 2026-01-31T09:00:00+09:00)"),
    "datetime_past": N_("the time must be in the past"),
    "datetime_future": N_("the time must be in the future"),
    "timezone_offset": N_("the time zone offset must be {tz_expected} seconds"),
    "time_delta_type": N_("a duration is expected (ISO 8601, e.g. PT30S, or seconds)"),
    "time_delta_parsing": N_("a duration is expected (ISO 8601, e.g. PT30S, or seconds)"),
    "is_instance_of": N_("a value of another kind is expected"),
    "is_subclass_of": N_("a value of another kind is expected"),
    "callable_type": N_("a value of another kind is expected"),
    "arguments_type": N_("a list or an object of arguments is expected"),
    "missing_argument": N_("this field is required"),
    "unexpected_keyword_argument": N_("unknown field: it is not accepted here"),
    "missing_keyword_only_argument": N_("this field is required"),
    "unexpected_positional_argument": N_("one value too many"),
    "missing_positional_only_argument": N_("this field is required"),
    "multiple_argument_values": N_("this field is given twice"),
    "url_syntax_violation": N_("not a valid URL"),
    "url_too_long": N_("the URL is longer than {max_length} characters"),
    "uuid_version": N_("a UUID of version {expected_version} is expected"),
    "decimal_max_digits": N_("at most {max_digits} digits"),
    "decimal_max_places": N_("at most {decimal_places} digits after the decimal point"),
    "decimal_whole_digits": N_("at most {whole_digits} digits before the decimal point"),
    "fraction_type": N_("a number is expected"),
    "fraction_parsing": N_("a number is expected"),
    "complex_type": N_("a number is expected"),
    "complex_str_parsing": N_("a number is expected"),
}
# What a field with a ``pattern`` expects, said to its reader instead of the regular expression (pydantic's
# ``string_pattern_mismatch`` carries the pattern as its ``ctx``): one sentence for each pattern of the API's and the
# files' models (tests/unit/test_i18n_patterns.py finds a pattern without one); any other pattern reads "not in the
# form expected here".
PATTERN_MESSAGES: dict[str, str] = {
    r"^\+?[0-9]{1,20}$": N_(
        "a phone number is expected: digits only, up to 20, a + in front allowed (e.g. +81312345678)"
    ),
    r"^\+[1-9][0-9]{0,14}$": N_(
        "a phone number in international form is expected: + and up to 15 digits (e.g. +81312345678)"
    ),
    r"^[A-Za-z0-9_.-]+$": N_("a name of Latin letters, digits, '_', '.' and '-' is expected (no spaces)"),
    r"^[A-Za-z0-9_.-]{1,80}$": N_("a name of up to 80 Latin letters, digits, '_', '.' and '-' is expected (no spaces)"),
    r"^[A-Za-z0-9_ -]+$": N_("Latin letters, digits, spaces, '_' and '-' are expected"),
    r"^[A-Za-z]+/\S+$": N_("a phone interface is expected: its technology, '/' and its address (e.g. PJSIP/1001)"),
    r"^[a-z0-9][a-z0-9_-]{0,62}$": N_(
        "a code of up to 63 lowercase Latin letters, digits, '_' and '-' is expected, starting with a letter or digit"
    ),
    r"^[a-z0-9_]{1,40}$": N_("a code of up to 40 lowercase Latin letters, digits and '_' is expected"),
    r"^[a-z0-9_]{1,64}$": N_("a code of up to 64 lowercase Latin letters, digits and '_' is expected"),
    r"^[a-z][a-z0-9_]{0,40}$": N_(
        "a name of up to 41 lowercase Latin letters, digits and '_' is expected, starting with a letter"
    ),
    r"^[A-Za-z0-9_./-]{1,200}$": N_("a file path of Latin letters, digits, '_', '.', '/' and '-' is expected"),
    r"^([01][0-9]|2[0-3]):[0-5][0-9]$": N_("a time of day is expected (HH:MM)"),
    r"^[0-9*#A-D]+$": N_("keypad keys are expected: digits, '*', '#' and A to D"),
    r"^[0-9*#]$": N_("one keypad key is expected: a digit, '*' or '#'"),
    r"^[A-Za-z0-9]$|^F([1-9]|1[0-2])$": N_("one key is expected: a Latin letter, a digit or F1 to F12"),
    r"^\d{1,15}(,\d{1,15})*$": N_("list ids separated by commas are expected (e.g. 3,4)"),
    r"^[^,|()\[\]\"\\]*$": N_("a path without ',', '|', brackets, parentheses, '\"' or '\\' is expected"),
}
_JSON_POSITION = re.compile(r"line (\d+) column (\d+)")
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")


def validation_message(kind: str, ctx: Mapping[str, Any]) -> str | Message:
    """The sentence of one pydantic error in the reader's language. A ``value_error`` / ``assertion_error``
    says what the validator raised (a Message when raised with one: ``raise ValueError(M_(...))``)."""
    if kind in ("value_error", "assertion_error") and isinstance(ctx.get("error"), BaseException):
        said = message_of(ctx["error"])
        return said
    if kind in ("json_invalid", "json_type"):
        position = _JSON_POSITION.search(str(ctx.get("error", "")))
        if position:
            return M_("not valid JSON (line {line}, column {column})", line=position[1], column=position[2])
    msgid = _VALIDATION_MESSAGES.get(kind)
    if kind == "string_pattern_mismatch":
        return Message(PATTERN_MESSAGES.get(str(ctx.get("pattern")), msgid or ""))
    if msgid is None:
        return M_("invalid value ({type})", type=kind)
    values = {k: _ctx_value(k, v) for k, v in ctx.items()}
    return Message(msgid, values)


def _ctx_value(key: str, value: Any) -> object:
    """``expected`` (``"'a', 'b' or 'c'"``) as the values listed in the reader's language."""
    if key in ("expected", "expected_schemes", "expected_tags") and isinstance(value, str):
        choices = _QUOTED.findall(value)
        if choices:
            return OneOf(tuple(repr(c) for c in choices))
    return value


def at_most_items(most: int, refusal: str) -> Callable[[object], object]:
    """A before-validator of a list field: more than ``most`` items are refused with ``refusal`` (a catalogue
    sentence marked with ``N_``: ``{n}`` the items given, ``{max}`` the most) before any item is validated, so an
    oversized list costs only its count. Use: ``Annotated[tuple[X, ...], BeforeValidator(at_most_items(...))]``."""

    def refuse_oversized(value: object) -> object:
        if isinstance(value, list | tuple) and len(value) > most:
            raise ValueError(M_(refusal, n=len(value), max=most))
        return value

    return refuse_oversized
