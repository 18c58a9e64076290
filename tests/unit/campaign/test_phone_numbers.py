"""Phone normalisation: the fast path agrees with phonenumbers; reasons; zones from numbers and postal codes."""

from __future__ import annotations

import phonenumbers
import pytest
from phonenumbers import timezone as pn_timezone

from dialer.campaign.phones import (
    DIALLABLE_TYPES,
    Phone,
    PhoneError,
    PhoneRejection,
    normalize,
    postal_code_zones,
    time_zones_for_e164,
)


def test_fast_path_agrees_with_phonenumbers_for_every_region_and_type() -> None:
    checked = 0
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in range(11):
            example = phonenumbers.example_number_for_type(region, number_type)
            if example is None:
                continue
            for shift in (0, 7919, 104729):
                number = phonenumbers.PhoneNumber(
                    country_code=example.country_code,
                    national_number=(example.national_number or 0) + shift,
                    italian_leading_zero=example.italian_leading_zero,
                    number_of_leading_zeros=example.number_of_leading_zeros,
                )
                e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
                reference = phonenumbers.parse(e164, None)
                ours = normalize(e164, None)
                if phonenumbers.is_valid_number(reference) and phonenumbers.number_type(reference) in DIALLABLE_TYPES:
                    assert isinstance(ours, Phone), e164
                    assert ours.e164 == phonenumbers.format_number(reference, phonenumbers.PhoneNumberFormat.E164)
                    expected = sorted(z for z in pn_timezone.time_zones_for_number(reference) if z != "Etc/Unknown")
                    assert list(ours.zones) == expected, e164
                else:
                    assert isinstance(ours, PhoneError), e164
                checked += 1
    assert checked > 3000


@pytest.mark.parametrize(
    ("raw", "region", "e164", "zones"),
    [
        ("+1 (212) 555-0123", None, "+12125550123", ("America/New_York",)),
        ("212.555.0123", "US", "+12125550123", ("America/New_York",)),
        ("+1 808 555 0123", None, "+18085550123", ("Pacific/Honolulu",)),
        ("020 7946 0000", "GB", "+442079460000", ("Europe/London",)),
        ("+81 3-1234-5678", None, "+81312345678", ("Asia/Tokyo",)),
        ("+39 06 1234 5678", None, "+390612345678", ("Europe/Rome",)),  # Italian leading zero kept
        ("0044 20 7946 0000", "FR", "+442079460000", ("Europe/London",)),
        ("+\uff11 \uff12\uff11\uff12 555 0123", None, "+12125550123", ("America/New_York",)),  # full-width digits
    ],
)
def test_normalises_common_spellings(raw: str, region: str | None, e164: str, zones: tuple[str, ...]) -> None:
    result = normalize(raw, region)
    assert isinstance(result, Phone)
    assert result.e164 == e164
    assert result.zones == zones


@pytest.mark.parametrize(
    ("raw", "region", "reason"),
    [
        ("   ", "US", PhoneRejection.MISSING),
        ("call me", "US", PhoneRejection.NOT_A_NUMBER),
        ("555-01", "US", PhoneRejection.TOO_SHORT),
        ("+1 212 555 01234567", None, PhoneRejection.TOO_LONG),
        ("+1 212 055 0100", None, PhoneRejection.INVALID_FOR_REGION),
        ("2125550123", None, PhoneRejection.INVALID_COUNTRY_CODE),
        ("+999 1234 5678", None, PhoneRejection.INVALID_COUNTRY_CODE),
        ("+1 900 555 0123", None, PhoneRejection.PREMIUM_RATE),
        ("+44 7640 123456", None, PhoneRejection.UNSUPPORTED_TYPE),  # UK pager
        ("+33 884 01 23 45", None, PhoneRejection.UNSUPPORTED_TYPE),  # French shared cost
    ],
)
def test_rejections_say_why(raw: str, region: str | None, reason: PhoneRejection) -> None:
    result = normalize(raw, region)
    assert isinstance(result, PhoneError)
    assert result.reason is reason
    assert result.detail


def test_ambiguous_and_non_geographic_numbers_have_several_zones() -> None:
    toll_free = normalize("+1 800 867 5309", None)
    assert isinstance(toll_free, Phone)
    assert {"America/New_York", "America/Los_Angeles", "Pacific/Honolulu"} <= set(toll_free.zones)
    assert time_zones_for_e164("+61412345678")[0].startswith("Australia/")
    assert time_zones_for_e164("+1 212 055 0100") == ()


@pytest.mark.parametrize(
    ("code", "region", "zones"),
    [
        ("10001", None, ("America/New_York",)),
        ("47708", "US", ("America/Chicago",)),  # Evansville: Indiana on Central time
        ("46204-1234", "US", ("America/Indiana/Indianapolis",)),
        ("79901", "US", ("America/Denver",)),  # El Paso
        ("96813", "US", ("Pacific/Honolulu",)),
        ("99501", "US", ("America/Anchorage",)),
        ("T2P 1J9", "CA", ("America/Edmonton",)),
        ("m5v3l9", None, ("America/Toronto",)),
        ("SW1A 1AA", "GB", ()),  # not a US/CA code: the number's zones apply
        ("", None, ()),
        ("00000", "US", ()),
    ],
)
def test_postal_code_zones(code: str, region: str | None, zones: tuple[str, ...]) -> None:
    assert postal_code_zones(code, region) == zones
