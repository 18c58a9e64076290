"""Static checks of asterisk/ (production snippets and the lab): syntax and the dialplan contract.

The configuration is read the way Asterisk does by tests/harness/asterisk_conf.py (no linter for Asterisk 22
dialplans is kept); this file checks what the dialer relies on: every Goto/GotoIf/Gosub/include target
exists, every variable read is set somewhere, the connect limits honour the 2-second rule, the queues do not
ring busy agents, the AMI login has the classes it needs and no more, every context is documented, and the lab
loads every module its dialplan uses.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from harness.asterisk_conf import (
    APP_MODULES,
    ASTERISK,
    ASTERISK_VARIABLES,
    BUILTIN_APPS,
    FUNCTION_MODULES,
    LAB,
    LAB_UNUSED_FUNCTIONS,
    ORIGINATE_VARIABLES,
    PRODUCTION_CONTEXTS,
    Dialplan,
    Section,
    Step,
    best_extension,
    merged,
    parse_config,
    parse_dialplan,
    read_lines,
    single,
    split_args,
    targets_of,
)

from dialer import contract


@pytest.fixture(scope="module")
def production() -> Dialplan:
    return parse_dialplan(ASTERISK / "extensions.conf")


@pytest.fixture(scope="module")
def lab() -> Dialplan:
    return parse_dialplan(LAB / "extensions.conf")


@pytest.fixture(scope="module")
def queues() -> dict[str, dict[str, list[str]]]:
    return merged(parse_config(ASTERISK / "queues.conf"))


def conf_files() -> list[Path]:
    return sorted(ASTERISK.glob("*.conf")) + sorted(LAB.glob("*.conf"))


# ---------------------------------------------------------------------------------------------------------------
# Syntax


@pytest.mark.parametrize("path", conf_files(), ids=lambda p: str(p.relative_to(ASTERISK)))
def test_every_config_file_parses_and_starts_with_a_comment(path: Path) -> None:
    parse_config(path)
    first = path.read_text().lstrip().splitlines()[0]
    assert first.startswith(";"), f"{path.name} must say what it is in its first line"


@pytest.mark.parametrize("which", ["production", "lab"])
def test_every_context_is_documented(which: str, request: pytest.FixtureRequest) -> None:
    dialplan: Dialplan = request.getfixturevalue(which)
    undocumented = [name for name, ctx in dialplan.contexts.items() if not ctx.section.documented]
    assert not undocumented, f"contexts without a comment: {undocumented}"


def test_comment_stripping_keeps_escaped_semicolons(production: Dialplan) -> None:
    headers = [s.args for s in production.contexts["dialer-agent-autoanswer"].steps if "PJSIP_HEADER" in s.args]
    assert any(h.endswith("<sip:autoanswer>;answer-after=0") for h in headers), headers
    assert any("info=alert-autoanswer;delay=0" in h for h in headers), headers


@pytest.mark.parametrize("which", ["production", "lab"])
def test_labels_are_unique_per_extension(which: str, request: pytest.FixtureRequest) -> None:
    dialplan: Dialplan = request.getfixturevalue(which)
    for ctx in dialplan.contexts.values():
        for exten, steps in ctx.extensions().items():
            labels = [s.label for s in steps if s.label]
            assert len(labels) == len(set(labels)), f"{ctx.name},{exten}: duplicate labels {labels}"
            priorities = [s.priority for s in steps]
            assert priorities == list(range(1, len(steps) + 1)), f"{ctx.name},{exten}: priorities {priorities}"


# ---------------------------------------------------------------------------------------------------------------
# Dialplan contract


def test_production_has_the_contract_contexts(production: Dialplan) -> None:
    assert set(production.contexts) >= PRODUCTION_CONTEXTS
    assert "s" in production.contexts["dialer-outbound"].extensions()
    assert "h" in production.contexts["dialer-hangup"].extensions()


@pytest.mark.parametrize("which", ["production", "lab"])
def test_includes_and_jump_targets_exist(which: str, request: pytest.FixtureRequest) -> None:
    dialplan: Dialplan = request.getfixturevalue(which)
    for ctx in dialplan.contexts.values():
        for included in ctx.includes:
            assert included in dialplan.contexts, f"[{ctx.name}] includes unknown context {included}"
        for step in ctx.steps:
            for context, exten, priority in targets_of(step):
                if "${" in context + exten + priority:
                    continue  # computed at run time (the lab's long-number rewrite); checked by its own test
                assert context in dialplan.contexts, f"{step.where}: {step.app} to unknown context {context}"
                found = best_extension(dialplan, context, exten)
                assert found, f"{step.where}: {step.app} to {context},{exten}: no such extension"
                steps = dialplan.contexts[found[0]].extensions()[found[1]]
                if priority.isdigit():
                    assert int(priority) <= len(steps), f"{step.where}: {context},{exten},{priority} does not exist"
                else:
                    assert priority in {s.label for s in steps}, (
                        f"{step.where}: no label {priority} in {context},{exten}"
                    )


def test_a_hang_up_during_amd_still_reports_the_verdict(production: Dialplan) -> None:
    h = production.contexts["dialer-hangup"].extensions()["h"]
    execs = [s.args for s in h if s.app == "ExecIf" and "UserEvent(DialerAMD," in s.args]
    assert len(execs) == 1
    assert execs[0].startswith('$["${DIALER_STAGE}" = "AMD"]?')


def test_every_dialer_context_reports_its_hangup(production: Dialplan) -> None:
    """`h` runs in the context the call is in when it ends: each context an answered call can be in includes it."""
    for name in ("dialer-outbound", "dialer-direct-agent", "dialer-safe-harbour", "dialer-machine"):
        assert best_extension(production, name, "h") == ("dialer-hangup", "h"), name


@pytest.mark.parametrize("which", ["production", "lab"])
def test_every_variable_read_is_set_somewhere(which: str, request: pytest.FixtureRequest) -> None:
    dialplan: Dialplan = request.getfixturevalue(which)
    # the IVR variables are also set by the FastAGI server (SET VARIABLE), not only by the dialplan
    known = set(dialplan.globals) | ORIGINATE_VARIABLES | ASTERISK_VARIABLES | set(contract.IVR_VARIABLES)
    for ctx in dialplan.contexts.values():
        for step in ctx.steps:
            if step.app == "Set":
                known.add(step.args.partition("=")[0].lstrip("_"))
            if step.app == "Read":
                known.add(split_args(step.args)[0])
    for ctx in dialplan.contexts.values():
        for step in ctx.steps:
            for name in re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", step.args):
                assert name in known, f"{step.where}: ${{{name}}} is never set"


def _queue_step(production: Dialplan) -> Step:
    steps = [s for s in production.contexts["dialer-outbound"].steps if s.app == "Queue"]
    assert len(steps) == 1
    return steps[0]


def test_campaign_queue_connect_limit_is_two_seconds_and_one_after_amd(production: Dialplan) -> None:
    queue = _queue_step(production)
    args = split_args(queue.args)
    assert args[0] == "${DIALER_QUEUE}"
    assert args[4] == "${DIALER_LIMIT}", "the 5th Queue() argument is the caller's timeout"
    limits = [s.args for s in production.contexts["dialer-outbound"].steps if s.args.startswith("DIALER_LIMIT=")]
    assert limits == ["DIALER_LIMIT=${DIALER_CONNECT_LIMIT}", "DIALER_LIMIT=${DIALER_CONNECT_LIMIT_AMD}"]
    assert float(production.globals["DIALER_CONNECT_LIMIT"]) == 2
    amd = merged(parse_config(ASTERISK / "amd.conf"))["general"]
    after_greeting = int(single(amd, "after_greeting_silence")) / 1000
    # app_queue counts whole seconds; the AMD verdict already spent after_greeting_silence of the 2 s.
    assert float(production.globals["DIALER_CONNECT_LIMIT_AMD"]) + after_greeting <= 2
    assert float(production.globals["DIALER_CONNECT_LIMIT_AMD"]) >= 1


def test_queue_and_direct_dial_options(production: Dialplan) -> None:
    options = split_args(_queue_step(production).args)[1]
    assert "n" in options.split("b(")[0], "option n: no second ring cycle past the limit"
    assert "b(dialer-agent-autoanswer^s^1)" in options
    dial = next(s for s in production.contexts["dialer-direct-agent"].steps if s.app == "Dial")
    dial_args = split_args(dial.args)
    assert dial_args[0] == "${DIALER_AGENT}"
    assert dial_args[1] == "${DIALER_LIMIT}"
    assert "b(dialer-agent-autoanswer^s^1)" in dial_args[2]


def test_amd_verdicts_route_people_to_agents(production: Dialplan) -> None:
    steps = production.contexts["dialer-outbound"].steps
    amd = next(i for i, s in enumerate(steps) if s.app == "AMD")
    event = steps[amd + 1]
    assert event.app == "UserEvent"
    assert event.args.startswith("DialerAMD,")
    assert "Status: ${AMDSTATUS}" in event.args
    assert "Attempt: ${DIALER_ATTEMPT}" in event.args
    branches = [s.args for s in steps[amd:] if s.app == "GotoIf" and "AMDSTATUS" in s.args]
    assert branches == ['$["${AMDSTATUS}" = "MACHINE"]?dialer-machine,s,1'], "only MACHINE leaves the agent path"


def test_abandon_is_reported_then_the_safe_harbour_message_offers_opt_out(production: Dialplan) -> None:
    steps = production.contexts["dialer-outbound"].steps
    after_queue = steps[steps.index(_queue_step(production)) + 1 :]
    apps = [(s.app, s.args.split(",")[0]) for s in after_queue[:3]]
    assert apps == [("Set", "DIALER_STAGE=ABANDONED"), ("UserEvent", "DialerAbandon"), ("Goto", "dialer-safe-harbour")]
    assert "QueueStatus: ${QUEUESTATUS}" in after_queue[1].args
    harbour = production.contexts["dialer-safe-harbour"].steps
    reads = [s for s in harbour if s.app == "Read"]
    assert split_args(reads[0].args)[1] == "${DIALER_SAFE_HARBOUR}"
    optout = next(s for s in harbour if s.app == "UserEvent" and s.args.startswith("DialerOptOut,"))
    assert "Attempt: ${DIALER_ATTEMPT}" in optout.args
    assert production.globals["DIALER_OPTOUT_KEY"].isdigit()


def test_an_inbound_caller_no_agent_took_is_reported_with_its_queue(production: Dialplan) -> None:
    """[dialer-inbound] queue: after Queue() an agent who hung up first ends the call (MEMBERINTERFACE); otherwise
    DialerAbandon (Attempt present and empty, Queue, QueueStatus), then the apology and the hang-up."""
    steps = production.contexts["dialer-inbound"].extensions()["queue"]
    queue = next(i for i, s in enumerate(steps) if s.app == "Queue")
    after = steps[queue + 1 :]
    assert [s.app for s in after] == ["GotoIf", "UserEvent", "Set", "Playback", "Hangup", "Hangup"]
    assert after[0].args == '$["${MEMBERINTERFACE}" != ""]?done'
    assert after[-1].label == "done"
    assert split_args(after[1].args) == [
        "DialerAbandon",
        "Attempt: ",
        "Queue: ${DIALER_INBOUND_QUEUE}",
        "QueueStatus: ${QUEUESTATUS}",
    ]
    assert after[3].args == "${DIALER_INBOUND_CLOSED}"


def test_an_ivr_callers_abandon_names_the_queue(production: Dialplan) -> None:
    steps = production.contexts["dialer-ivr"].steps
    (abandon,) = [s for s in steps if s.app == "UserEvent" and s.args.startswith("DialerAbandon,")]
    assert split_args(abandon.args) == [
        "DialerAbandon",
        "Attempt: ${DIALER_ATTEMPT}",
        "Queue: ${DIALER_IVR_QUEUE}",
        "QueueStatus: ${QUEUESTATUS}",
    ]
    guard = steps[steps.index(abandon) - 1]
    assert (guard.app, guard.args) == ("GotoIf", '$["${MEMBERINTERFACE}" != ""]?done')


def test_user_events_are_documented(production: Dialplan) -> None:
    readme = (ASTERISK / "README.md").read_text()
    names = {s.args.split(",")[0] for ctx in production.contexts.values() for s in ctx.steps if s.app == "UserEvent"}
    assert names >= {"DialerAMD", "DialerAbandon", "DialerOptOut", "DialerCallEnd"}
    for name in names:
        assert f"`{name}`" in readme, f"UserEvent {name} is not documented in asterisk/README.md"
        assert "Attempt: ${" in " ".join(
            s.args for ctx in production.contexts.values() for s in ctx.steps if s.args.startswith(name + ",")
        ), f"{name} must carry the attempt id"


def test_the_dialplan_uses_exactly_the_contract_names(production: Dialplan) -> None:
    """extensions.conf and manager.conf name no DIALER_* variable, Dialer* UserEvent or dialer-* context that
    dialer/contract.py does not define, and the contract defines none they do not use."""
    text = (ASTERISK / "extensions.conf").read_text()
    assert set(re.findall(r"\bDIALER_[A-Z0-9_]+\b", text)) == contract.VARIABLES
    assert set(production.globals) == set(contract.GLOBAL_VARIABLES)
    raised = {s.args.split(",")[0] for ctx in production.contexts.values() for s in ctx.steps if s.app == "UserEvent"}
    assert raised == contract.USER_EVENTS
    assert set(re.findall(r"\bDialer[A-Z][A-Za-z]*\b", text)) == contract.USER_EVENTS
    assert {name for name in production.contexts if name.startswith("dialer-")} == contract.CONTEXTS
    for path in (ASTERISK / "manager.conf", LAB / "manager.conf"):
        channelvars = single(_manager_users(path)["general"], "channelvars").split(",")
        assert tuple(channelvars) == contract.CHANNEL_EVENT_VARIABLES, path
    readme = (ASTERISK / "README.md").read_text()
    for name in (
        *contract.ORIGINATE_VARIABLES,
        *contract.MONITORING_VARIABLES,
        *contract.USER_EVENTS,
        *contract.CONTEXTS,
    ):
        assert name in readme, f"{name} is not documented in asterisk/README.md"


def test_documented_originate_rings_at_least_15_seconds() -> None:
    for path in (ASTERISK / "README.md", ASTERISK / "extensions.conf"):
        timeouts = [int(t) for t in re.findall(r"Timeout:\s*(\d+)", path.read_text())]
        assert timeouts, f"{path.name} documents no Originate Timeout"
        assert min(timeouts) >= 15000, f"{path.name}: Originate Timeout below 15 s: {timeouts}"
        text = path.read_text()
        for needle in ("Context: dialer-outbound", "Async: true", "ChannelId", "Variable: DIALER_ATTEMPT="):
            assert needle in text, f"{path.name} does not document {needle!r}"


# ---------------------------------------------------------------------------------------------------------------
# queues.conf, manager.conf


def test_queues_never_ring_busy_agents_and_fit_the_limit(queues: dict[str, dict[str, list[str]]]) -> None:
    templates = {s.name for s in parse_config(ASTERISK / "queues.conf") if s.is_template}
    assert templates == {"dialer-campaign", "dialer-inbound"}
    real = {name: values for name, values in queues.items() if name != "general" and name not in templates}
    assert {"outbound-agents", "inbound-sales"} <= set(real)
    for name, values in real.items():
        assert single(values, "ringinuse") == "no", name
        assert "member" not in values, f"{name}: members are added by the dialer (QueueAdd), not listed"
    campaign = queues["outbound-agents"]
    assert int(single(campaign, "timeout")) <= 2
    assert int(single(campaign, "retry")) >= 1, "0 means app_queue's default of 5 s"
    assert single(campaign, "autopause") in ("yes", "all")
    assert single(campaign, "setinterfacevar") == "yes", "the h extension needs MEMBERINTERFACE"
    joinempty = set(single(campaign, "joinempty").split(","))
    assert joinempty, "joinempty must name the conditions that mean nobody can answer"
    assert not joinempty & {"paused", "inuse", "yes", "no", "strict"}, joinempty
    assert int(single(queues["inbound-sales"], "weight")) > int(single(campaign, "weight"))
    general = queues["general"]
    assert single(general, "timeoutpriority") == "app"
    assert single(general, "persistentmembers") == "no"


def _manager_users(path: Path) -> dict[str, dict[str, list[str]]]:
    return merged(parse_config(path))


@pytest.mark.parametrize("path", [ASTERISK / "manager.conf", LAB / "manager.conf"], ids=["production", "lab"])
def test_ami_login_has_the_needed_classes_and_no_more(path: Path) -> None:
    conf = _manager_users(path)
    general = conf["general"]
    assert single(general, "bindaddr") == "127.0.0.1"
    assert {"DIALER_ATTEMPT", "DIALER_CAMPAIGN"} <= set(single(general, "channelvars").split(","))
    dialer = conf["dialer"]
    assert set(single(dialer, "read").split(",")) == {"system", "call", "agent", "user"}
    assert set(single(dialer, "write").split(",")) == {"originate", "call", "agent", "reporting"}
    assert single(dialer, "deny") == "0.0.0.0/0.0.0.0"
    assert single(dialer, "permit").startswith("127.0.0.1/")


def test_pjsip_snippets_route_into_existing_contexts(production: Dialplan) -> None:
    sections = parse_config(ASTERISK / "pjsip.conf")
    by_type: dict[str, list[Section]] = {}
    templates = {s.name: s for s in sections if s.is_template}
    for section in sections:
        kinds = [v for k, v in section.pairs() if k == "type"]
        for parent in section.options:
            if parent in templates:
                kinds += [v for k, v in templates[parent].pairs() if k == "type"]
        if kinds and not section.is_template:
            by_type.setdefault(kinds[-1], []).append(section)
    endpoints = {s.name: s for s in by_type["endpoint"]}
    assert {"carrier", "1001"} <= set(endpoints)
    for section in [*by_type["endpoint"], *templates.values()]:
        for key, value in section.pairs():
            if key == "context":
                assert value in production.contexts, f"pjsip [{section.name}] context {value} does not exist"
    assert dict(endpoints["carrier"].pairs())["context"] == "from-carrier"
    assert "agent-phone" in endpoints["1001"].options, "agent phones use the template"
    assert by_type["transport"]


# ---------------------------------------------------------------------------------------------------------------
# The lab

# The lab's and the carrier's callees act out a number's last digit: 5550001 ... 5550010.
BY_LAST_DIGIT = [(f"555{n:04d}", f"_XXXXXX{n % 10}") for n in range(1, 11)]


def test_lab_includes_the_production_dialplan_unchanged(production: Dialplan, lab: Dialplan) -> None:
    for name, ctx in production.contexts.items():
        assert [(s.exten, s.app, s.args) for s in lab.contexts[name].steps] == [
            (s.exten, s.app, s.args) for s in ctx.steps
        ]
    assert lab.globals["DIALER_CONNECT_LIMIT"] == production.globals["DIALER_CONNECT_LIMIT"]
    assert merged(parse_config(LAB / "queues.conf")) == merged(parse_config(ASTERISK / "queues.conf"))


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        *BY_LAST_DIGIT,
        ("9990001", "_999XXXX"),
        ("9980001", "_9980XXX"),
    ],
)
def test_lab_callee_is_chosen_by_the_number(lab: Dialplan, number: str, expected: str) -> None:
    assert best_extension(lab, "lab-pstn", number) == ("lab-pstn", expected)
    assert best_extension(lab, "sim-pstn", number) == ("lab-pstn", expected), "sim-pstn = the recorded name"


@pytest.mark.parametrize(
    ("number", "seven"), [("+13123244670", "3244670"), ("13125550101", "5550101"), ("95550107", "5550107")]
)
def test_lab_long_numbers_act_as_their_last_seven_digits(lab: Dialplan, number: str, seven: str) -> None:
    context, pattern = best_extension(lab, "sim-pstn", number) or ("", "")
    (step,) = lab.contexts[context].extensions()[pattern]
    assert (step.app, step.args) == ("Goto", "${EXTEN:-7},1")
    assert number[-7:] == seven
    assert best_extension(lab, "sim-pstn", seven) == ("lab-pstn", f"_XXXXXX{seven[-1]}")


def test_lab_agents_and_inbound_route(lab: Dialplan) -> None:
    assert best_extension(lab, "lab-agents", "agent1") == ("lab-agents", "_age[n]t.")
    assert best_extension(lab, "sim-agents", "agent07") == ("lab-agents", "_age[n]t."), "the demo's agent names"
    assert best_extension(lab, "lab-agents", "slow1") == ("lab-agents", "_slow.")
    inbound = lab.contexts["lab-inbound"].steps
    assert any(s.app == "Goto" and s.args == "dialer-inbound,sales,1" for s in inbound)


def test_lab_loads_every_module_its_dialplan_uses(lab: Dialplan) -> None:
    settings = merged(parse_config(LAB / "modules.conf"))["modules"]
    modules = set(settings["load"])
    assert single(settings, "autoload") == "no"
    for ctx in lab.contexts.values():
        for step in ctx.steps:
            if step.app not in BUILTIN_APPS:
                assert step.app in APP_MODULES, f"{step.where}: unknown application {step.app}"
                assert APP_MODULES[step.app] in modules, f"{step.where}: {step.app} needs {APP_MODULES[step.app]}"
            for function in re.findall(r"\$\{([A-Z_]+)\(", step.args):
                if function in LAB_UNUSED_FUNCTIONS:
                    continue
                assert function in FUNCTION_MODULES, f"{step.where}: unknown function {function}"
                assert FUNCTION_MODULES[function] in modules, (
                    f"{step.where}: {function} needs {FUNCTION_MODULES[function]}"
                )
    assert "app_amd.so" in modules
    assert (LAB / "amd.conf").is_file(), "app_amd does not load without amd.conf"


def test_lab_asterisk_conf_lives_under_one_run_directory() -> None:
    directories = merged(parse_config(LAB / "asterisk.conf"))["directories"]
    for key, values in directories.items():
        assert values[-1].startswith("/tmp/dialer-asterisk-lab/"), key
    script = (LAB / "start-lab.sh").read_text()
    assert "DEFAULT_ROOT=/tmp/dialer-asterisk-lab" in script


# ---------------------------------------------------------------------------------------------------------------
# The lab carrier (asterisk/lab/carrier): a second Asterisk reached over the lab's IAX2 trunk (asterisk/lab/iax.conf)

CARRIER = LAB / "carrier"


@pytest.fixture(scope="module")
def carrier() -> Dialplan:
    return parse_dialplan(CARRIER / "extensions.conf")


@pytest.mark.parametrize("path", sorted(CARRIER.glob("*.conf")), ids=lambda p: p.name)
def test_every_carrier_file_parses_and_starts_with_a_comment(path: Path) -> None:
    parse_config(path)
    assert path.read_text().lstrip().startswith(";"), f"{path.name} must say what it is in its first line"


def test_the_lab_dials_the_carrier_over_iax2_on_loopback() -> None:
    lab_iax = merged(parse_config(LAB / "iax.conf"))
    carrier_iax = merged(parse_config(CARRIER / "iax.conf"))
    assert "chan_iax2.so" in merged(parse_config(LAB / "modules.conf"))["modules"]["load"]
    assert "chan_iax2.so" in merged(parse_config(CARRIER / "modules.conf"))["modules"]["load"]
    for general in (lab_iax["general"], carrier_iax["general"]):
        assert single(general, "bindaddr") == "127.0.0.1"
    # chan_iax2 binds when it reads bindaddr: bindport must come first
    for path in (LAB / "iax.conf", CARRIER / "iax.conf"):
        keys = [line.text.split("=")[0].strip() for line in read_lines(path)]
        assert keys.index("bindport") < keys.index("bindaddr"), path
    peer = lab_iax["carrier"]
    assert single(peer, "type") == "peer"
    assert (single(peer, "host"), single(peer, "port")) == ("127.0.0.1", single(carrier_iax["general"], "bindport"))
    assert single(peer, "port") != single(lab_iax["general"], "bindport")
    user = carrier_iax[single(peer, "username")]
    assert single(user, "type") == "user"
    assert "secret" not in user, "admitted by address (with an md5 secret a burst of call setups got REJECTs)"
    assert "secret" not in peer
    assert single(user, "context") == "carrier-numbers"
    script = (LAB / "start-lab.sh").read_text()
    for line in ("bindport = 4569", "port = 4570", "bindport = 4570"):
        assert f"s#^{line}#" in script, f"start-lab.sh rewrites {line!r} for a second lab"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        *BY_LAST_DIGIT[:6],
        ("5559017", "_55590XX"),
        ("5559021", "_55590XX"),
        ("5559038", "_55590XX"),
        ("+13125550102", "_+X."),
    ],
)
def test_the_carrier_acts_out_the_number(carrier: Dialplan, number: str, expected: str) -> None:
    assert best_extension(carrier, "carrier-numbers", number) == ("carrier-numbers", expected)


def test_the_carrier_releases_with_the_cause_in_the_number(carrier: Dialplan) -> None:
    steps = carrier.contexts["carrier-numbers"].extensions()
    assert [(s.app, s.args) for s in steps["_55590XX"]][-1] == ("Hangup", "${EXTEN:-2}")
    assert [s.app for s in steps["_XXXXXX2"]][-1] == "Busy"
    assert [s.app for s in steps["_XXXXXX4"]][-1] == "Congestion"


def test_the_carrier_is_documented_loads_its_modules_and_lives_under_the_lab(carrier: Dialplan) -> None:
    assert [name for name, ctx in carrier.contexts.items() if not ctx.section.documented] == []
    modules = set(merged(parse_config(CARRIER / "modules.conf"))["modules"]["load"])
    for ctx in carrier.contexts.values():
        for step in ctx.steps:
            if step.app not in BUILTIN_APPS:
                assert APP_MODULES[step.app] in modules, f"{step.where}: {step.app} needs {APP_MODULES[step.app]}"
    assert "manager.conf" not in {p.name for p in CARRIER.glob("*.conf")}, "the carrier has no AMI"
    directories = merged(parse_config(CARRIER / "asterisk.conf"))["directories"]
    for key, values in directories.items():
        assert values[-1].startswith("/tmp/dialer-asterisk-lab/"), key
