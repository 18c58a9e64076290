"""What an import reads and reports: the limits on a lead file, the lead fields and the header names that map
to them, an imported lead, a rejected row and why."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from dialer.campaign.phones import PhoneRejection

MAX_CELL_CHARS = 32_768  # a longer cell is not lead data (runaway quote, pasted file): reject the row
MAX_RECORD_LINES = 50  # a quoted value spanning more lines is an unclosed quote, not a note
MAX_LINE_CHARS = 2 * MAX_CELL_CHARS  # a longer physical line is read in pieces and rejected, never held whole
# Numbers remembered to point a repeated number at its first row; past this many, the store's unique
# (campaign, phone) index still refuses the repeat (counted as a duplicate), so memory stays bounded.
SEEN_LIMIT = 100_000
RAW_KEEP_CHARS = 1_000  # cells kept in a RowError are cut to this length for the error report
SNIFF_BYTES = 64 * 1024
READ_BUFFER = 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
# Records reach the csv module already bounded (MAX_RECORD_LINES lines of at most MAX_LINE_CHARS each).
EXTENSION_FIELD = "phone_extension"  # custom field holding the extension of the lead's number


class LeadFileError(ValueError):
    """The file as a whole cannot be imported (unreadable, empty, no phone column, bad mapping)."""


class RowErrorReason(StrEnum):
    MISSING_PHONE = "missing_phone"
    INVALID_PHONE = "invalid_phone"
    DUPLICATE = "duplicate"  # same number earlier in the file
    FIELD_TOO_LONG = "field_too_long"
    TOO_MANY_COLUMNS = "too_many_columns"  # usually an unquoted delimiter inside a value: columns shifted
    BAD_PRIORITY = "bad_priority"
    BAD_CONSENT_TIME = "bad_consent_time"  # consent_at given but not a date and time
    MALFORMED = "malformed"  # the CSV parser could not read the record
    # set by the store layer with the helpers below
    DNC = "dnc"
    ALREADY_IN_CAMPAIGN = "already_in_campaign"


class LeadField(StrEnum):
    PHONE = "phone"
    ALT_PHONE = "alt_phone"  # may be mapped from several columns
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    NAME = "name"  # full name, split into first/last when those are absent
    NAME_READING = "name_reading"  # furigana / pinyin of the name, for sorting
    CONSENT_SOURCE = "consent_source"  # CN: where the called party consented
    CONSENT_AT = "consent_at"  # CN: when (ISO 8601, or "YYYY-MM-DD HH:MM" in the number's zone)
    EMAIL = "email"
    POSTAL_CODE = "postal_code"
    PRIORITY = "priority"
    EXTERNAL_ID = "external_id"
    SKIP = "skip"


def norm_header(name: str) -> str:
    """Case, width and punctuation folded; letters of every script kept (``電話番号`` stays ``電話番号``)."""
    return re.sub(r"[\W_]", "", unicodedata.normalize("NFKC", name).casefold())


# The dialer's own results in a lead export (dialer.lists.export): imported again, these columns are skipped (the
# new leads' results start afresh; they are neither the leads' state nor their data). The requested callback's
# (dialer.campaign.rules.LeadSnapshot.requested_callback_*) are among them: evidence of one call the called party asked
# this campaign for, not consent another list may carry.
EXPORT_RESULT_COLUMNS = (
    "dialer_lead_id",
    "dialer_list",
    "dialer_status",
    "dialer_attempts",
    "dialer_dials",
    "dialer_last_outcome",
    "dialer_last_disposition",
    "dialer_last_attempt_at",
    "dialer_next_dialable_at",
    "dialer_callback_at",
    "dialer_requested_callback_source",
    "dialer_requested_callback_at",
    "dialer_requested_callback_due",
    "dialer_archive_reason",
)

HEADER_ALIASES: dict[str, LeadField] = {
    **dict.fromkeys(
        ("phone", "phonenumber", "telephone", "tel", "telno", "number", "phone1", "primaryphone", "msisdn", "e164"),
        LeadField.PHONE,
    ),
    **dict.fromkeys(
        (
            "mobile",
            "mobilephone",
            "cell",
            "cellphone",
            "phone2",
            "phone3",
            "altphone",
            "alternatephone",
            "otherphone",
            "homephone",
            "workphone",
            "businessphone",
            # an export's further alternative numbers (dialer.lists.export): alt_phone2, alt_phone3, ...
            *(f"altphone{n}" for n in range(2, 10)),
        ),
        LeadField.ALT_PHONE,
    ),
    **dict.fromkeys(("firstname", "first", "givenname", "fname", "forename"), LeadField.FIRST_NAME),
    **dict.fromkeys(("lastname", "last", "surname", "familyname", "lname"), LeadField.LAST_NAME),
    **dict.fromkeys(("name", "fullname", "contactname", "contact"), LeadField.NAME),
    **dict.fromkeys(("email", "emailaddress", "mail"), LeadField.EMAIL),
    **dict.fromkeys(("zip", "zipcode", "postcode", "postalcode", "postal", "zip5"), LeadField.POSTAL_CODE),
    **dict.fromkeys(("priority", "prio"), LeadField.PRIORITY),
    **dict.fromkeys(("id", "externalid", "leadid", "customerid", "crmid", "ref", "reference"), LeadField.EXTERNAL_ID),
    **dict.fromkeys((norm_header(c) for c in EXPORT_RESULT_COLUMNS), LeadField.SKIP),
    # Japanese and Chinese exports
    **dict.fromkeys(("電話番号", "電話", "tel番号", "电话", "电话号码", "联系电话"), LeadField.PHONE),
    **dict.fromkeys(("携帯", "携帯電話", "携帯番号", "手机", "手机号", "手机号码"), LeadField.ALT_PHONE),
    **dict.fromkeys(("氏名", "名前", "姓名", "名称"), LeadField.NAME),
    **dict.fromkeys(("姓",), LeadField.LAST_NAME),
    **dict.fromkeys(
        (
            "namereading",
            "reading",
            "furigana",
            "kana",
            "pinyin",
            "フリガナ",
            "ふりがな",
            "氏名カナ",
            "カナ",
            "よみ",
            "読み",
            "拼音",
        ),
        LeadField.NAME_READING,
    ),
    **dict.fromkeys(
        ("consentsource", "consent", "同意取得元", "同意元", "同意来源", "授权来源"), LeadField.CONSENT_SOURCE
    ),
    **dict.fromkeys(
        ("consentat", "consenttime", "consentdate", "同意日時", "同意取得日時", "同意时间", "授权时间"),
        LeadField.CONSENT_AT,
    ),
    **dict.fromkeys(("名",), LeadField.FIRST_NAME),
    **dict.fromkeys(("メール", "メールアドレス", "電子メール", "邮箱", "电子邮件"), LeadField.EMAIL),
    **dict.fromkeys(("郵便番号", "邮编", "邮政编码"), LeadField.POSTAL_CODE),
}


@dataclass(frozen=True, slots=True)
class ImportedLead:
    row: int  # 1-based data row (header excluded)
    line: int  # physical line of the file where the record starts
    phone: str  # E.164
    alt_phones: tuple[str, ...]
    tz_candidates: tuple[str, ...]  # zones of `phone`
    postal_code: str | None
    postal_zones: tuple[str, ...]  # zones of the postal code (US ZIP / CA postal district), empty when unknown
    first_name: str  # given name
    last_name: str  # family name
    email: str
    priority: int
    external_id: str | None
    fields: dict[str, str]  # custom fields, header name → value (sanitised)
    flags: tuple[str, ...] = ()  # e.g. "formula:notes", "sanitised:company", "bad_alt_phone:mobile"
    display_name: str = ""  # "山田 太郎" / "John Smith" (dialer.campaign.names)
    name_reading: str = ""
    consent_source: str = ""
    consent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    line: int
    reason: RowErrorReason
    detail: str
    raw: tuple[str, ...]  # the row's cells as read (long cells cut to RAW_KEEP_CHARS)
    phone_reason: PhoneRejection | None = None


@dataclass(slots=True)
class ImportStats:
    rows: int = 0
    imported: int = 0
    blank_lines: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
