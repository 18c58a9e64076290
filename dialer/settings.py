"""Typed daemon settings, loaded once at start.

Layers, lowest first: built-in defaults < TOML file (``--config`` or ``DIALER_CONFIG``) < ``DIALER_*``
environment variables (nested with ``__``, e.g. ``DIALER_HTTP__PORT=8080``) < explicit overrides from the CLI.
The defaults run the demo: SQLite under ``./var/`` and the simulated PBX on loopback.

Why one module (over 500 lines): the settings tables and the loader that layers them and names every fault (a
misspelt key, an unreadable file, a bad variable) are read together whenever a setting is added.
"""

from __future__ import annotations

import fnmatch
import functools
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from pydantic_settings import SettingsError as SourceError

from dialer.agents.pausecodes import DEFAULT_PAUSE_CODES, PauseCode, check_pause_codes
from dialer.alerts.rules import DEFAULT_ALERT_RULES, AlertRule, check_alert_rules
from dialer.i18n import M_, Message, render
from dialer.i18n.library import os_error_text, toml_fault
from dialer.i18n.validation import validation_message
from dialer.inbound.figures import ServiceLevelRule
from dialer.reports.schedule import ReportScheduleError, valid_address
from dialer.webhooks.core import AllowList

if TYPE_CHECKING:
    from dialer.store.wallboard import KioskLifetime

DEFAULT_SQLITE_URL = "sqlite+aiosqlite:///./var/dialer.db"


def sqlite_url_in(directory: Path, name: str = "dialer.db") -> str:
    """The SQLite URL of ``name`` in ``directory`` (relative: as ``./var/…``, to the working directory)."""
    where = directory.as_posix() if directory.is_absolute() else "./" + directory.as_posix().removeprefix("./")
    return f"sqlite+aiosqlite:///{where}/{name}"


class SettingsError(ValueError):
    """The configuration is unusable; the message says which setting and why (a Message: in the reader's
    language, the CLI's)."""


def read_secret_file(path: Path) -> str:
    """Read a secret from a regular file that only its owner may access (mode 0600 or stricter)."""
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            raise SettingsError(M_("secret file {path} is not a regular file", path=str(path)))
        if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SettingsError(
                M_(
                    "secret file {path} is open to group or others (mode {mode}); chmod 600 it",
                    path=str(path),
                    mode=stat.filemode(st.st_mode),
                )
            )
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise SettingsError(
            M_("secret file {path}: {reason}", path=str(path), reason=os_error_text(exc.strerror))
        ) from exc
    except UnicodeDecodeError as exc:
        raise SettingsError(M_("secret file {path} is not UTF-8 text", path=str(path))) from exc
    if not secret:
        raise SettingsError(M_("secret file {path} is empty", path=str(path)))
    return secret


def _merge(low: Any, high: Any) -> Any:
    """``high`` over ``low``; a table keyed by indexes (``DIALER_AMI__0__SECRET``) updates that list entry."""
    if isinstance(high, dict) and high and all(isinstance(k, str) and k.isdigit() for k in high):
        merged = list(low) if isinstance(low, list) else []
        for key, value in sorted(high.items(), key=lambda kv: int(kv[0])):
            index = int(key)
            merged.extend({} for _ in range(index + 1 - len(merged)))
            merged[index] = _merge(merged[index], value)
        return merged
    if isinstance(low, dict) and isinstance(high, dict):
        return {**low, **{k: _merge(low.get(k), v) for k, v in high.items()}}
    return high


class _EnvOverFile(PydanticBaseSettingsSource):
    """``DIALER_*`` variables over the TOML file. Unlike pydantic-settings' own merge, ``DIALER_AMI__0__SECRET``
    sets one key of the first ``[[ami]]`` server (and keeps the file's other keys) instead of replacing the list."""

    def __init__(
        self, settings_cls: type[BaseSettings], env: PydanticBaseSettingsSource, file: PydanticBaseSettingsSource | None
    ) -> None:
        super().__init__(settings_cls)
        self._env = env
        self._file = file

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # everything happens in __call__

    def __call__(self) -> dict[str, Any]:
        merged: dict[str, Any] = _merge(self._file() if self._file is not None else {}, self._env())
        return merged


class SettingsTable(BaseModel):
    """A table of the settings (``[http]``, ``[[ami]]`` ...): a key it does not have is refused, as at the top level
    (a misspelt ``[http] prot`` or ``DIALER_AMI__0__SECRTE`` is said, not silently left at its default)."""

    model_config = ConfigDict(extra="forbid")


class AmiServerSettings(SettingsTable):
    """One Asterisk server: its AMI login and the capacity of the trunks behind it."""

    name: str = "pbx1"
    host: str = "127.0.0.1"
    port: int = Field(default=5039, ge=1, le=65535)
    username: str = "dialer"
    secret: SecretStr = SecretStr("dialer")
    secret_file: Path | None = None
    # Trunk capacity: simultaneous outbound channels and new calls per second on this server.
    max_channels: int = Field(default=200, ge=1)
    max_calls_per_second: float = Field(default=20.0, gt=0)
    # The agents' phones registered on this server, as shell-style patterns of queue-member interfaces
    # ("PJSIP/1*", "Local/*@sim-agents"). An agent is a queue member on the first server whose patterns match
    # their phone (the first server when none does), and calls for their campaign are placed where they are.
    agent_interfaces: list[str] = Field(default_factory=list)
    action_timeout_seconds: float = Field(default=5.0, gt=0)
    ping_interval_seconds: float = Field(default=5.0, gt=0)
    reconnect_max_backoff_seconds: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _secret_from_file(self) -> AmiServerSettings:
        if self.secret_file is not None:
            self.secret = SecretStr(read_secret_file(self.secret_file))
        return self


class HttpSettings(SettingsTable):
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    # Signs session cookies; generated per run when empty (sessions then do not survive a restart).
    session_secret: SecretStr = SecretStr("")
    # Behind a TLS-terminating proxy: mark the session cookie Secure even though the request reached us over HTTP.
    secure_cookies: bool = False
    # A wallboard kiosk session (a TV opened with a wallboard token) ends this long after its page and feed were
    # last open (each renews it), and this long after it was opened whatever happens; its TV then asks for the
    # token again. Revoking the token ends it at once.
    kiosk_idle_hours: float = Field(default=12.0, gt=0, le=24 * 365)
    kiosk_max_days: float = Field(default=30.0, gt=0, le=400)
    # How long the web tier keeps who a session cookie or API token is (dialer.web.credentials): a sign-out, a
    # disable, a role change or a password reset on this daemon takes effect at once, on another within this. 0: off.
    auth_cache_seconds: float = Field(default=2.0, ge=0, le=5)

    def kiosk_lifetime(self) -> KioskLifetime:
        from dialer.store.wallboard import KioskLifetime  # (the store's tables load with the web tier, not here)

        return KioskLifetime(timedelta(hours=self.kiosk_idle_hours), timedelta(days=self.kiosk_max_days))

    @property
    def url(self) -> str:
        """Where the daemon's web tier answers on this machine (``http://host:port``)."""
        return f"http://{self.host}:{self.port}"


class FastAgiSettings(SettingsTable):
    """The daemon's FastAGI server: the shipped dialplan's ``AGI(agi://${DIALER_FASTAGI}/ivr)`` reaches it (IVR flows).

    ``advertise``: ``host:port`` Asterisk connects to (sent with every agentless Originate as ``DIALER_FASTAGI``);
    empty: ``host`` and the port listened on (port 0 picks a free one)."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=4573, ge=0, le=65535)
    advertise: str = ""
    accounts: Path | None = None  # CSV of accounts (account,name,balance,dob) the flows' lookups read
    inbound_flows: list[Path] = []  # flow files for inbound callers (the inbound route sets DIALER_IVR_FLOW)
    # The campaign a flow's ``book_callback`` lookup books into when it names none (virtual hold; docs/ivr.md).
    callback_campaign: str = ""


class SimulationSettings(SettingsTable):
    """The simulated PBX: where `dialer demo` runs it in-process and what `dialer sim-pbx` runs by default (its
    options win). `dialer run` never starts one: run `dialer sim-pbx` beside it and point ``[[ami]]`` at it."""

    enabled: bool = False  # read by nothing (`dialer run` starts no simulated PBX); accepted so old files load
    listen_host: str = "127.0.0.1"
    listen_port: int = Field(default=5039, ge=0, le=65535)
    scenario: Path | None = None
    seed: int = 1
    agents: int = Field(default=10, ge=0)  # read by nothing: `dialer demo --agents`, `dialer sim-pbx --agents`
    # Simulated seconds per wall-clock second; 1.0 is real time.
    speed: float = Field(default=1.0, gt=0)


class WebhookSettings(SettingsTable):
    """Outgoing webhooks and CRM calls (dialer.webhooks): where they may go and how they are delivered."""

    enabled: bool = True  # the delivery worker runs (events are written to the outbox either way)
    # SSRF guard: the only destinations allowed -- host names ("crm.example.com", "*.example.com") and, for URLs
    # written with an IP address, networks ("10.1.0.0/16"). Empty (the default): no webhook may be created.
    allowed_destinations: list[str] = Field(default_factory=list)
    concurrency: int = Field(default=16, ge=1, le=256)  # deliveries in flight at once
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)  # per delivery, connect to last byte
    poll_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    lease_seconds: float = Field(default=60.0, gt=0)  # a claimed delivery is another worker's after this
    retry_base_seconds: float = Field(default=5.0, gt=0)
    retry_cap_seconds: float = Field(default=3600.0, gt=0)
    max_attempts: int = Field(default=12, ge=1)  # then dead-lettered (visible and re-sendable in the UI)
    delivered_retention_days: int = Field(default=7, ge=1)
    # Signs the campaigns' CRM disposition calls ([crm] disposition_url); empty: sent unsigned.
    crm_secret: SecretStr = SecretStr("")

    @field_validator("allowed_destinations")
    @classmethod
    def _valid_entries(cls, entries: list[str]) -> list[str]:
        AllowList.parse(entries)
        return entries


class RecordingSettings(SettingsTable):
    """Where call recordings are. Asterisk writes them (MixMonitor), the dialer serves them: both must see the
    same files (one host, or a shared mount such as NFS; README "Recordings")."""

    # The directory the dialer reads recordings from (<attempt id>.wav).
    directory: Path = Path("var/recordings")
    # The same directory as Asterisk sees it, when its mount point differs; "" = ``directory`` made absolute.
    asterisk_directory: str = Field(default="", pattern=r"^[^,|()\[\]\"\\]*$")

    def asterisk_path(self, attempt_id: int) -> str:
        """The file name an Originate gives MixMonitor for this attempt's recording."""
        base = self.asterisk_directory.rstrip("/") or _resolved(
            self.directory, "" if self.directory.is_absolute() else os.getcwd()
        )
        return f"{base}/{attempt_id}.wav"


@functools.lru_cache(maxsize=16)
def _resolved(directory: Path, cwd: str) -> str:
    """``directory`` made absolute (a walk of the file system: once per directory, not once per call placed)."""
    return str(directory.resolve())


class InboundServiceLevelSettings(SettingsTable):
    """How the inbound queues' service level is counted (dialer.inbound.figures, docs/domain.md)."""

    # Answered within this many seconds of joining the queue: the service level's target (the "20" of "80/20").
    answer_within_seconds: float = Field(default=20.0, gt=0, le=3600)
    # A caller who hangs up sooner is a short abandon: counted apart, out of the service level and abandon rate.
    short_abandon_seconds: float = Field(default=5.0, ge=0, le=600)
    # The service level aimed at: this share answered within answer_within_seconds (the "80" of "80/20").
    target: float = Field(default=0.80, gt=0, le=1)

    def rule(self) -> ServiceLevelRule:
        return ServiceLevelRule(self.answer_within_seconds, self.short_abandon_seconds, self.target)


class SmtpSettings(SettingsTable):
    """Where scheduled reports are mailed from (dialer.reports.mail): the SMTP server, its TLS, its login."""

    # The server; empty: no mail can be sent (a due report schedule's run is recorded as failed, saying so).
    host: str = Field(default="", max_length=253)
    port: int = Field(default=587, ge=1, le=65535)
    # none: plain SMTP (a relay on this host); starttls: upgraded after connecting (port 587); tls: implicit (465).
    tls: Literal["none", "starttls", "tls"] = "starttls"
    username: str = Field(default="", max_length=200)  # empty: no login
    password: SecretStr = SecretStr("")  # never logged; prefer DIALER_SMTP__PASSWORD or password_file
    password_file: Path | None = None
    from_address: str = Field(default="", max_length=254)  # the sender (name@example.com); needed with a host
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)  # per connection and command
    # A failed send is tried again retry_base_seconds later, then 4x that, ... up to max_attempts sends in all;
    # then the run is recorded as failed and the schedule moves on to its next slot.
    max_attempts: int = Field(default=4, ge=1, le=10)
    retry_base_seconds: float = Field(default=60.0, gt=0, le=86400)

    @model_validator(mode="after")
    def _password_and_sender(self) -> SmtpSettings:
        if self.password_file is not None:
            self.password = SecretStr(read_secret_file(self.password_file))
        if self.host and not self.from_address:
            raise ValueError(M_("[smtp] from_address is needed with a host"))
        if self.from_address:
            try:
                valid_address(self.from_address)
            except ReportScheduleError as exc:
                raise ValueError(M_("[smtp] from_address: {exc}", exc=exc)) from None
        return self

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def retry_delays(self) -> tuple[timedelta, ...]:
        """The waits before each retry of a failed send (max_attempts - 1 of them)."""
        return tuple(timedelta(seconds=self.retry_base_seconds * 4**n) for n in range(self.max_attempts - 1))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DIALER_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    database_url: str = DEFAULT_SQLITE_URL
    # Who this daemon is in the database (campaign leases, lead claims, agent sessions). Stable across restarts so
    # a daemon restarted on the same node takes its own campaigns and calls back at once; empty: derived from the
    # host name and this instance (database, var_dir, HTTP port) -- give each daemon of one host sharing a database
    # its own var_dir/port or an explicit node_id.
    node_id: str = Field(default="", max_length=200)
    database_password_file: Path | None = None
    var_dir: Path = Path("var")
    campaigns_dir: Path = Path("campaigns")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["json", "console"] = "json"
    http: HttpSettings = HttpSettings()
    fastagi: FastAgiSettings = FastAgiSettings()
    ami: list[AmiServerSettings] = Field(default_factory=lambda: [AmiServerSettings()])
    simulation: SimulationSettings = SimulationSettings()
    inbound_queues: list[str] = Field(default_factory=list)
    inbound_service_level: InboundServiceLevelSettings = InboundServiceLevelSettings()
    pacing_tick_seconds: float = Field(default=1.0, gt=0, le=10)
    agent_reconcile_seconds: float = Field(default=30.0, gt=0)
    drain_timeout_seconds: float = Field(default=120.0, ge=0)
    # Call records (attempts) older than this are purged daily; 5 years by default (US TSR record keeping).
    record_retention_days: int = Field(default=1826, ge=1)
    # Messages from supervisors to agents (and their read receipts) older than this are purged daily.
    message_retention_days: int = Field(default=90, ge=1)
    webhooks: WebhookSettings = WebhookSettings()
    # Scheduled reports are mailed through this server (`dialer report schedule`).
    smtp: SmtpSettings = SmtpSettings()
    # Call recordings (purged with their call records).
    recording: RecordingSettings = RecordingSettings()
    # The reasons agents may pause for, each with the longest it should last ([[pause_codes]]: agents/pausecodes.py).
    pause_codes: list[PauseCode] = Field(default_factory=lambda: list(DEFAULT_PAUSE_CODES), max_length=100)
    # The alerts raised to supervisors and managers ([[alerts]]: dialer/alerts/rules.py); listing any replaces them.
    alerts: list[AlertRule] = Field(default_factory=lambda: list(DEFAULT_ALERT_RULES), max_length=100)
    # Cleared alerts older than this are purged daily from the alert history.
    alert_retention_days: int = Field(default=90, ge=1)

    @field_validator("pause_codes")
    @classmethod
    def _pause_codes(cls, codes: list[PauseCode]) -> list[PauseCode]:
        check_pause_codes(codes)
        return codes

    @field_validator("alerts")
    @classmethod
    def _alerts(cls, rules: list[AlertRule]) -> list[AlertRule]:
        check_alert_rules(rules)
        return rules

    @field_validator("database_url")
    @classmethod
    def _known_driver(cls, url: str) -> str:
        if not url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(M_("database_url must start with sqlite+aiosqlite:// or postgresql+asyncpg://"))
        return url

    @model_validator(mode="after")
    def _database_in_var_dir(self) -> Settings:
        """Unless a database is named, the daemon keeps it with its other files: ``<var_dir>/dialer.db`` (the
        default ``var`` gives :data:`DEFAULT_SQLITE_URL`). A ``var_dir`` set alone never shares a database with
        another instance's."""
        if "database_url" not in self.model_fields_set:
            self.database_url = sqlite_url_in(self.var_dir)
        return self

    @model_validator(mode="after")
    def _distinct_servers(self) -> Settings:
        names = [server.name for server in self.ami]
        if not names:
            raise ValueError(M_("at least one [[ami]] server is needed"))
        if len(set(names)) != len(names):
            raise ValueError(M_("[[ami]] server names must be distinct (got {names})", names=", ".join(names)))
        return self

    def server_of_interface(self, interface: str) -> str:
        """The server an agent's phone is on: the first whose ``agent_interfaces`` match it, else the first."""
        return server_of_interface(self.ami, interface)

    @model_validator(mode="after")
    def _password_from_file(self) -> Settings:
        if self.database_password_file is not None and self.database_url.startswith("postgresql"):
            from dialer.store.urls import url_with_password  # the store (SQLAlchemy) only when it is needed

            self.database_url = url_with_password(self.database_url, read_secret_file(self.database_password_file))
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_path = _CONFIG_FILE.get("path")
        toml = TomlConfigSettingsSource(settings_cls, toml_file=toml_path) if toml_path is not None else None
        return (init_settings, _EnvOverFile(settings_cls, env_settings, toml))


def server_of_interface(servers: list[AmiServerSettings], interface: str) -> str:
    """The first server whose ``agent_interfaces`` patterns match ``interface`` (case-insensitive), else the
    first server."""
    for server in servers:
        if any(fnmatch.fnmatchcase(interface.lower(), pattern.lower()) for pattern in server.agent_interfaces):
            return server.name
    return servers[0].name


# The TOML file for the next Settings() construction (pydantic-settings takes sources at class level).
_CONFIG_FILE: dict[str, Path | None] = {"path": None}


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Build and validate the settings once. Raises SettingsError with a readable message."""
    path = config_file or (Path(os.environ["DIALER_CONFIG"]) if os.environ.get("DIALER_CONFIG") else None)
    if path is not None:
        _readable_config(path)
    _CONFIG_FILE["path"] = path
    try:
        return Settings(**overrides)
    except SettingsError:
        raise
    except ValidationError as exc:
        raise SettingsError(_invalid(exc)) from exc
    except tomllib.TOMLDecodeError as exc:  # the config file (read by pydantic-settings' TOML source)
        fault = toml_fault(exc)
        raise SettingsError(
            M_("config file {path}: not valid TOML: {reason}", path=str(path), reason=fault.reason)
            if fault.line is None or fault.column is None
            else M_(
                "config file {path}: not valid TOML at line {line}, column {column}: {reason}",
                path=str(path),
                line=fault.line,
                column=fault.column,
                reason=fault.reason,
            )
        ) from exc
    except SourceError as exc:  # (a ValueError too: said before the generic one)
        raise SettingsError(_source_fault(exc)) from exc
    except ValueError as exc:
        raise SettingsError(M_("invalid settings: {exc}", exc=exc)) from exc
    finally:
        _CONFIG_FILE["path"] = None


# pydantic-settings' words for an environment variable it could not parse (a list or a table, read as JSON).
_ENV_FAULT = re.compile(r'^error parsing value for field "(?P<field>\w+)" from source "EnvSettingsSource"$')


def _source_fault(exc: SourceError) -> Message:
    """pydantic-settings could not read a source: the environment variable named, with how it is written."""
    env = _ENV_FAULT.match(str(exc))
    if env is None:
        return M_("invalid settings: {exc}", exc=exc)
    variable = "DIALER_" + env["field"].upper()
    return M_(
        "environment variable {variable} is not valid JSON: a list or a table set from the environment is "
        'written in JSON, e.g. \'["sales", "support"]\' (or one key at a time: DIALER_AMI__0__HOST)',
        variable=variable,
    )


def misspelt_variables(environ: Mapping[str, str]) -> list[tuple[str, str]]:
    """``DIALER_*`` variables that read as a table's key written with one underscore (``DIALER_HTTP_PORT``,
    ``DIALER_AMI_0_SECRET``), which the settings never read: each with the name meant (``DIALER_HTTP__PORT``)."""
    tables = sorted(
        (name.upper() for name, info in Settings.model_fields.items() if _is_table(info.annotation)),
        key=len,
        reverse=True,
    )
    found = []
    for variable in sorted(environ):
        if not variable.startswith("DIALER_") or "__" in variable:
            continue
        rest = variable.removeprefix("DIALER_")
        table = next((t for t in tables if rest.startswith(t + "_") and rest != t), None)
        if table is not None and rest.upper() not in {n.upper() for n in Settings.model_fields}:
            keys = rest.removeprefix(table + "_")
            if table == "AMI" and keys.partition("_")[0].isdigit():  # DIALER_AMI_0_SECRET
                keys = "__".join(keys.split("_", 1))
            found.append((variable, f"DIALER_{table}__{keys}"))
    return found


def _is_table(annotation: Any) -> bool:
    """A setting that is a table (``[http]``) or a list of tables (``[[ami]]``)."""
    inner = getattr(annotation, "__args__", (annotation,))
    return any(isinstance(t, type) and issubclass(t, SettingsTable) for t in (annotation, *inner))


def _readable_config(path: Path) -> None:
    """The config file can be read as TOML text, or SettingsError says which file and why (missing, a directory,
    unreadable, not UTF-8)."""
    try:
        path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(M_("config file {path} does not exist", path=str(path))) from None
    except OSError as exc:
        raise SettingsError(
            M_("config file {path}: {reason}", path=str(path), reason=os_error_text(exc.strerror))
        ) from None
    except UnicodeDecodeError:
        raise SettingsError(M_("config file {path} is not UTF-8 text", path=str(path))) from None


def _invalid(exc: ValidationError) -> Message:
    """pydantic's refusal of the settings: one line per setting, each said with the sentences the API uses."""
    lines = []
    for err in exc.errors(include_url=False):
        where = ".".join(str(p) for p in err["loc"]) or "settings"
        lines.append(f"  {where}: {render(validation_message(err['type'], err.get('ctx') or {}))}")
    return M_("invalid settings\n{errors}", errors="\n".join(lines))


def node_identity(settings: Settings) -> str:
    """This daemon's stable identity (``settings.node_id``, else ``<hostname>:<instance hash>``)."""
    if settings.node_id:
        return settings.node_id
    import hashlib
    import socket

    from dialer.store.urls import redacted_url  # the store (SQLAlchemy) only when it is needed

    database = redacted_url(settings.database_url)
    instance = f"{database}|{settings.var_dir.resolve()}|{settings.http.port}"
    return f"{socket.gethostname()}:{hashlib.sha256(instance.encode()).hexdigest()[:8]}"
