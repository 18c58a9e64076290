"""Which caller ID a call presents (pure): the campaign's number, or with local presence the campaign's own local
number for the called party's area.

A campaign lists local numbers under ``[[caller_id.local]]``, each with the E.164 prefixes it serves (by default its
own area: country code and geographic area code, e.g. ``+1212`` for ``+1 212 555 0100``). A call presents the local
number whose prefix is the longest one the called number starts with; with several numbers for that prefix, the
lead's id picks one (``lead_id mod n``), so one person always sees the same number; with none, the campaign's
``caller_id.number``. Every number is validated as a caller ID when the campaign is loaded
(:mod:`dialer.campaign.config`): a valid, diallable, non-premium number of the business that calls back to it
(FCC Truth in Caller ID, Ofcom's CLI guidance, CRTC) -- local presence changes which of its numbers is shown, never
shows one that is not the business's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import phonenumbers

# The longest prefix a local number may serve ("+" and up to 15 digits: a whole E.164 number).
MAX_PREFIX_DIGITS = 15


def own_area_prefix(e164: str) -> str | None:
    """The prefix of ``e164``'s own area (country code + geographic area code, e.g. ``+1212``, ``+44161``, ``+813``);
    None when the number has no geographic area (a mobile, toll-free or non-geographic number)."""
    number = phonenumbers.parse(e164, None)
    length = phonenumbers.length_of_geographical_area_code(number)
    if length <= 0:
        return None
    national = phonenumbers.national_significant_number(number)
    return f"+{number.country_code}{national[:length]}"


def prefix_table(local: Iterable[tuple[str, Sequence[str]]]) -> dict[str, tuple[str, ...]]:
    """``(number, prefixes)`` pairs as prefix → the numbers serving it, in the order given."""
    table: dict[str, list[str]] = {}
    for number, prefixes in local:
        for prefix in prefixes:
            numbers = table.setdefault(prefix, [])
            if number not in numbers:
                numbers.append(number)
    return {prefix: tuple(numbers) for prefix, numbers in table.items()}


def presented_number(default: str, table: Mapping[str, Sequence[str]], phone: str, lead_id: int) -> str:
    """The caller ID number a call to ``phone`` (E.164) of lead ``lead_id`` presents: the local number of the
    longest prefix of ``phone`` in ``table`` (the lead's id choosing among several), else ``default``."""
    for end in range(min(len(phone), MAX_PREFIX_DIGITS + 1), 1, -1):
        numbers = table.get(phone[:end])
        if numbers:
            return numbers[lead_id % len(numbers)]
    return default
