"""computefs-emulator's cost control settings: the seeded instances'
idleTimeBeforeShutdown and start/stop schedules (both trigger kinds),
POST updateIdleShutdownSetting with Azure's checks (ISO 8601 duration,
15 minutes to 3 days), create bodies carrying both, and the request log
(GET /_emulator/requests?route=NAME) that keeps what clients sent.
Real emulator processes over loopback.
"""
import json

import pytest

from emulator import Emulator
from mount import wait_for

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]
WEU = "W. Europe Standard Time"


@pytest.fixture(scope="module")
def demo():
    """The demo's emulator (fs/demo.c): 6 instances, 2 clusters."""
    with Emulator("--instances", 6, "--clusters", 2, "--op-seconds", 5) as emu:
        yield emu


@pytest.fixture
def rw():
    with Emulator("--instances", 6, "--clusters", 1, "--op-seconds", 0.3,
                  "--retry-after", 0) as emu:
        yield emu


def ci_props(emu, name):
    r = emu.get(emu.ws("/computes/" + name))
    assert r.status == 200, r
    return r.json["properties"]["properties"]


def idle_post(emu, name, body):
    return emu.post(emu.ws("/computes/%s/updateIdleShutdownSetting" % name),
                    body)


def logged(emu, route):
    r = emu.get("/_emulator/requests?route=" + route, auth=False)
    assert r.status == 200, r
    return r.json["log"]


# ---- seeded instances -------------------------------------------------

def test_seeded_settings(demo):
    inst = demo.instances()
    idle = {n: c["properties"]["properties"].get("idleTimeBeforeShutdown")
            for n, c in inst.items()}
    assert idle == {"ci-alice": "PT45M", "ci-bob": "PT60M", "ci-carol": None,
                    "ci-dave": "PT60M", "ci-erin": "PT120M",
                    "ci-frank": "PT60M"}
    # Without a setting the field is absent, as in Azure's GET example.
    assert "idleTimeBeforeShutdown" not in \
        inst["ci-carol"]["properties"]["properties"]
    sched = {n: c["properties"]["properties"]["schedules"]
             for n, c in inst.items()}
    assert sched["ci-carol"] is None
    # ci-alice: weekdays, start 08:00 and stop 18:00, Western Europe.
    alice = sched["ci-alice"]["computeStartStop"]
    assert [s["action"] for s in alice] == ["Start", "Stop"]
    for s, hour in zip(alice, (8, 18)):
        assert s["triggerType"] == "Recurrence"
        assert s["status"] == "Enabled"
        assert s["provisioningStatus"] == "Completed"
        assert s["id"] and s["cron"] is None
        rec = s["recurrence"]
        assert rec["frequency"] == "Week" and rec["interval"] == 1
        assert rec["timeZone"] == WEU
        assert rec["schedule"] == {"hours": [hour], "minutes": [0],
                                   "weekDays": WEEKDAYS}
    assert sched["ci-erin"]["computeStartStop"][0]["recurrence"][
        "schedule"]["weekDays"] == WEEKDAYS
    # ci-bob, ci-frank: the REST API specs' cron example.
    for name in ("ci-bob", "ci-frank"):
        (s,) = sched[name]["computeStartStop"]
        assert s["triggerType"] == "Cron" and s["action"] == "Stop"
        assert s["recurrence"] is None
        assert s["cron"] == {"expression": "0 18 * * *",
                             "startTime": "2021-04-23T01:30:00",
                             "timeZone": "Pacific Standard Time"}
    # ci-dave: a disabled daily stop in UTC.
    (s,) = sched["ci-dave"]["computeStartStop"]
    assert (s["status"], s["action"], s["recurrence"]["frequency"],
            s["recurrence"]["timeZone"]) == ("Disabled", "Stop", "Day", "UTC")
    assert "weekDays" not in s["recurrence"]["schedule"]
    ids = [s["id"] for v in sched.values() if v
           for s in v["computeStartStop"]]
    assert len(ids) == len(set(ids))


def test_seeded_settings_in_get_and_many_instances():
    with Emulator("--instances", 40, "--clusters", 0) as emu:
        inst = emu.instances()
        kinds = {s["triggerType"]
                 for c in inst.values()
                 for s in (c["properties"]["properties"]["schedules"] or
                           {"computeStartStop": []})["computeStartStop"]}
        assert kinds == {"Recurrence", "Cron"}
        assert sum(1 for c in inst.values()
                   if c["properties"]["properties"]["schedules"] is None) \
            == 10
        assert ci_props(emu, "ci-alice")["schedules"] == \
            inst["ci-alice"]["properties"]["properties"]["schedules"]


# ---- updateIdleShutdownSetting ----------------------------------------

@pytest.mark.parametrize("value,stored", [
    ("PT120M", "PT120M"), ("PT2H", "PT120M"), ("PT15M", "PT15M"),
    ("P3D", "PT4320M"), ("P1D", "PT1440M"), ("PT1H30M", "PT90M"),
    ("PT0.5H", "PT30M"), ("PT900S", "PT15M"), ("P1DT2H", "PT1560M"),
    ("PT72H", "PT4320M"),
])
def test_idle_shutdown_sets_the_value(rw, value, stored):
    r = idle_post(rw, "ci-alice", {"idleTimeBeforeShutdown": value})
    assert r.status == 200, r
    assert r.raw == b""
    assert ci_props(rw, "ci-alice")["idleTimeBeforeShutdown"] == stored
    listed = rw.instances()["ci-alice"]["properties"]["properties"]
    assert listed["idleTimeBeforeShutdown"] == stored


@pytest.mark.parametrize("body,code", [
    ({"idleTimeBeforeShutdown": "PT14M"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "PT899S"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "P3DT1M"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "P1W"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "P1M"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "PT0M"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "PT30M30S"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "pt30m"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "30"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "PT"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "P"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "PT30MT"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "PT30M1H"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "PT0.5H30M"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "-PT30M"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "PT30M "}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": 30}, "InvalidRequestContent"),
    ({"idleTimeBeforeShutdown": ""}, "ValidationError"),
    ({"idleTimeBeforeShutdown": None}, "ValidationError"),
    ({}, "ValidationError"),
    (["PT30M"], "InvalidRequestContent"),
    ("not json", "InvalidRequestContent"),
    (None, "InvalidRequestContent"),
])
def test_idle_shutdown_refusals(rw, body, code):
    r = idle_post(rw, "ci-alice", body)
    assert r.status == 400, r
    assert set(r.json) == {"error"}
    assert r.json["error"]["code"] == code
    assert r.json["error"]["message"]
    if code == "InvalidParameter" and "out of range" in \
            r.json["error"]["message"]:
        assert "PT15M" in r.json["error"]["message"]
        assert "P3D" in r.json["error"]["message"]
    assert ci_props(rw, "ci-alice")["idleTimeBeforeShutdown"] == "PT45M"


def test_idle_shutdown_range_message(rw):
    r = idle_post(rw, "ci-alice", {"idleTimeBeforeShutdown": "PT10M"})
    assert r.json["error"] == {
        "code": "InvalidParameter",
        "message": "The value 'PT10M' provided for idleTimeBeforeShutdown "
                   "is out of range. Idle time before shutdown must be "
                   "between 15 minutes (PT15M) and 3 days (P3D)."}


def test_idle_shutdown_missing_compute_and_clusters(rw):
    r = idle_post(rw, "ci-nobody", {"idleTimeBeforeShutdown": "PT30M"})
    assert r.status == 404
    assert r.json["error"]["code"] == "ResourceNotFound"
    r = idle_post(rw, "cpu-cluster", {"idleTimeBeforeShutdown": "PT30M"})
    assert r.status == 400
    assert r.json["error"]["code"] == "BadRequest"
    # The body is checked first, as for resize.
    r = idle_post(rw, "ci-nobody", {"idleTimeBeforeShutdown": "PT1M"})
    assert r.status == 400


def test_idle_shutdown_in_any_state_but_create_and_delete(rw):
    # Stopped, transitions and failed states take it.
    for state in ("Stopped", "Starting", "Stopping", "SetupFailed"):
        assert rw.post("/_emulator/state", {"name": "ci-bob",
                                            "state": state},
                       auth=False).status == 200
        r = idle_post(rw, "ci-bob", {"idleTimeBeforeShutdown": "PT20M"})
        assert r.status == 200, (state, r)
    r = rw.post(rw.ws("/computes/ci-alice/stop"))
    assert r.status == 202
    assert idle_post(rw, "ci-alice",
                     {"idleTimeBeforeShutdown": "PT25M"}).status == 200
    assert ci_props(rw, "ci-alice")["idleTimeBeforeShutdown"] == "PT25M"
    r = rw.request("DELETE", rw.ws(
        "/computes/ci-dave?underlyingResourceAction=Delete"))
    assert r.status == 202
    r = idle_post(rw, "ci-dave", {"idleTimeBeforeShutdown": "PT30M"})
    assert r.status == 409
    assert r.json["error"]["code"] == "Conflict"


def test_idle_shutdown_counted_and_body_logged(rw):
    rw.reset()
    idle_post(rw, "ci-alice", {"idleTimeBeforeShutdown": "PT2H"})
    idle_post(rw, "ci-alice", {"idleTimeBeforeShutdown": "PT1M"})
    # Any case of the action's name is the same route, as ARM does.
    r = rw.post(rw.ws("/computes/ci-bob/UpdateIdleShutdownSetting"),
                {"idleTimeBeforeShutdown": "PT30M"})
    assert r.status == 200
    c = rw.counters()
    assert c["routes"]["idle_shutdown"] == 3
    assert "action" not in c["routes"] and c["routes"].get("other", 0) == 0
    log = logged(rw, "idle_shutdown")
    assert [e["status"] for e in log] == [200, 400, 200]
    assert [json.loads(e["body"]) for e in log] == [
        {"idleTimeBeforeShutdown": "PT2H"},
        {"idleTimeBeforeShutdown": "PT1M"},
        {"idleTimeBeforeShutdown": "PT30M"}]
    assert all(e["method"] == "POST" and e["route"] == "idle_shutdown"
               for e in log)
    assert log[0]["path"].endswith("/computes/ci-alice/"
                                   "updateIdleShutdownSetting")
    # Faults name the route too.
    rw.faults([{"route": "idle_shutdown", "status": 503, "times": 1}])
    assert idle_post(rw, "ci-alice",
                     {"idleTimeBeforeShutdown": "PT30M"}).status == 503
    rw.faults([])


def test_request_log_filter_and_bounds(rw):
    rw.reset()
    rw.get(rw.ws("/computes/ci-alice"))
    rw.post(rw.ws("/computes/ci-alice/stop"))
    c = rw.counters()
    assert [e["route"] for e in c["log"]] == ["get", "stop"]
    assert "body" not in c["log"][0] and "body" not in c["log"][1]
    assert [e["route"] for e in logged(rw, "stop")] == ["stop"]
    assert logged(rw, "nothing") == []
    # A big body is kept in part, and says so.
    big = {"location": "eastus", "tags": {"pad": "x" * 40000},
           "properties": {"computeType": "ComputeInstance"}}
    r = rw.request("PUT", rw.ws("/computes/ci-big"), big)
    assert r.status == 201
    (e,) = logged(rw, "put")
    assert len(e["body"]) == 16384 and e["body_truncated"] is True
    rw.reset()
    assert logged(rw, "put") == []


# ---- create bodies ----------------------------------------------------

def ci_body(**props):
    p = {"vmSize": "Standard_DS3_v2"}
    p.update(props)
    return {"location": "eastus",
            "properties": {"computeType": "ComputeInstance",
                           "properties": p}}


RECURRENCE = {
    "action": "Start", "triggerType": "Recurrence",
    "recurrence": {"frequency": "Week", "interval": 1,
                   "timeZone": WEU,
                   "schedule": {"hours": [8], "minutes": [0],
                                "weekDays": WEEKDAYS}}}
CRON = {
    "action": "Stop", "status": "Disabled", "triggerType": "Cron",
    "cron": {"expression": "0 18 * * *", "startTime": "2021-04-23T01:30:00",
             "timeZone": "Pacific Standard Time"}}


def test_create_with_idle_and_schedules(rw):
    body = ci_body(idleTimeBeforeShutdown="PT1H",
                   schedules={"computeStartStop": [RECURRENCE, CRON]})
    rw.reset()
    r = rw.request("PUT", rw.ws("/computes/ci-costly"), body)
    assert r.status == 201, r
    (e,) = logged(rw, "put")
    assert json.loads(e["body"]) == body
    for ci in (ci_props(rw, "ci-costly"),
               rw.instances()["ci-costly"]["properties"]["properties"]):
        assert ci["idleTimeBeforeShutdown"] == "PT60M"
        rec, cron = ci["schedules"]["computeStartStop"]
        assert rec["recurrence"] == RECURRENCE["recurrence"]
        assert (rec["action"], rec["triggerType"], rec["status"]) == (
            "Start", "Recurrence", "Enabled")
        assert rec["cron"] is None
        assert cron["cron"] == CRON["cron"]
        assert (cron["action"], cron["status"]) == ("Stop", "Disabled")
        assert cron["recurrence"] is None
        for s in (rec, cron):
            assert s["provisioningStatus"] == "Completed"
            assert len(s["id"]) == 36
    # Still there once the create has run (0.3 s of Creating).
    wait_for(lambda: ci_props(rw, "ci-costly")["state"] != "Creating",
             timeout=10, what="the create to end")
    ci = ci_props(rw, "ci-costly")
    assert ci["state"] == "Running"
    assert ci["idleTimeBeforeShutdown"] == "PT60M"
    assert len(ci["schedules"]["computeStartStop"]) == 2


def test_create_defaults_and_spelling(rw):
    sched = {"action": "stop", "triggerType": "recurrence",
             "recurrence": {"frequency": "day",
                            "schedule": {"hours": [19], "minutes": [30],
                                         "weekDays": ["saturday"]}}}
    r = rw.request("PUT", rw.ws("/computes/ci-plain"), ci_body(
        schedules={"computeStartStop": [sched]}))
    assert r.status == 201, r
    ci = ci_props(rw, "ci-plain")
    assert "idleTimeBeforeShutdown" not in ci
    (s,) = ci["schedules"]["computeStartStop"]
    assert (s["action"], s["triggerType"], s["status"]) == (
        "Stop", "Recurrence", "Enabled")
    assert s["recurrence"]["frequency"] == "Day"
    assert s["recurrence"]["interval"] == 1
    assert s["recurrence"]["timeZone"] == "UTC"
    assert s["recurrence"]["schedule"]["weekDays"] == ["Saturday"]
    # No schedules: null; an empty list stays an empty list.
    rw.request("PUT", rw.ws("/computes/ci-none"), ci_body())
    assert ci_props(rw, "ci-none")["schedules"] is None
    rw.request("PUT", rw.ws("/computes/ci-empty"), ci_body(
        schedules={"computeStartStop": []}))
    assert ci_props(rw, "ci-empty")["schedules"] == {"computeStartStop": []}


def bad(**over):
    s = json.loads(json.dumps(RECURRENCE))
    for k, v in over.items():
        if k.startswith("rec_"):
            s["recurrence"][k[4:]] = v
        elif k.startswith("sch_"):
            s["recurrence"]["schedule"][k[4:]] = v
        else:
            s[k] = v
    return {"computeStartStop": [s]}


def bad_cron(**over):
    s = json.loads(json.dumps(CRON))
    s["cron"].update(over)
    return {"computeStartStop": [s]}


@pytest.mark.parametrize("props,code", [
    ({"idleTimeBeforeShutdown": "PT5M"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "P4D"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": "60"}, "InvalidParameter"),
    ({"idleTimeBeforeShutdown": 60}, "InvalidRequestContent"),
    ({"schedules": []}, "InvalidRequestContent"),
    ({"schedules": {"computeStartStop": {}}}, "InvalidRequestContent"),
    ({"schedules": {"computeStartStop": ["x"]}}, "InvalidRequestContent"),
    ({"schedules": bad(action="Pause")}, "ValidationError"),
    ({"schedules": bad(action=None)}, "ValidationError"),
    ({"schedules": bad(status="On")}, "ValidationError"),
    ({"schedules": bad(triggerType="Timer")}, "ValidationError"),
    ({"schedules": bad(recurrence=None)}, "ValidationError"),
    ({"schedules": bad(rec_frequency="Fortnight")}, "ValidationError"),
    ({"schedules": bad(rec_interval=0)}, "ValidationError"),
    ({"schedules": bad(rec_startTime="tomorrow")}, "ValidationError"),
    ({"schedules": bad(rec_timeZone="")}, "ValidationError"),
    ({"schedules": bad(rec_schedule=None)}, "ValidationError"),
    ({"schedules": bad(sch_hours=[])}, "ValidationError"),
    ({"schedules": bad(sch_hours=[24])}, "ValidationError"),
    ({"schedules": bad(sch_minutes=[60])}, "ValidationError"),
    ({"schedules": bad(sch_minutes=None)}, "ValidationError"),
    ({"schedules": bad(sch_weekDays=["Funday"])}, "ValidationError"),
    ({"schedules": bad(sch_monthDays=[32])}, "ValidationError"),
    ({"schedules": bad(triggerType="Cron")}, "ValidationError"),
    ({"schedules": bad_cron(expression="every evening")},
     "ValidationError"),
    ({"schedules": bad_cron(expression="0 18 * *")}, "ValidationError"),
    ({"schedules": bad_cron(expression=None)}, "ValidationError"),
    ({"schedules": bad_cron(startTime="2021-13-01T00:00:00")},
     "ValidationError"),
])
def test_create_refusals(rw, props, code):
    r = rw.request("PUT", rw.ws("/computes/ci-refused"), ci_body(**props))
    assert r.status == 400, (props, r)
    assert r.json["error"]["code"] == code
    assert rw.get(rw.ws("/computes/ci-refused")).status == 404
