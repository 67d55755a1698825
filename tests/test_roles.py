"""Who may do what: signed visitor ids, the operator, jobs that belong to whoever started them.

The job mechanism is driven with real runner processes (tests/job_kinds.py: quick, no TensorFlow).
"""

from __future__ import annotations


import pytest

from digitlab import identity, jobs, roles, tasks
from digitlab.fileio import write_json_atomic
from digitlab.models import TrainConfig
from digitlab.roles import NotAllowed, Who
from digitlab.store import ModelStore
from digitlab.tasks import class_retrain as class_task
from digitlab.tasks import train as training_task
from tests.helpers import tiny_model, until

ANA, BEN = Who("a" * 32), Who("b" * 32)
OPERATOR = Who("c" * 32, operator=True)


@pytest.fixture(autouse=True)
def fresh_key():
    identity.forget_key()
    yield
    identity.forget_key()


def counting(owner: Who) -> jobs.Status:
    return jobs.start("count", "tests.job_kinds:count", {"n": 100_000, "step": 0.02}, title="Counting",
                      about="counting", owner=owner.visitor_id, source="test")


# --------------------------------------------------------------------------- visitor ids


def test_only_ids_the_server_signed_are_accepted(monkeypatch):
    vid = "0123456789abcdef0123456789abcdef"
    cookie = identity.visitor_cookie(vid)
    assert identity.visitor_from_cookie(cookie) == vid
    assert identity.visitor_from_cookie(vid) is None  # unsigned
    assert identity.visitor_from_cookie("0" * 32 + "." + "0" * 32) is None  # made up
    other = "f" * 32
    assert identity.visitor_from_cookie(other + "." + cookie.split(".")[1]) is None  # another id, our signature
    assert identity.visitor_from_cookie(None) is None and identity.visitor_from_cookie("x.y") is None
    monkeypatch.setenv("DIGITLAB_SECRET_KEY", "another server's key")
    assert identity.visitor_from_cookie(cookie) is None  # signed with another key


def test_the_key_is_made_once_and_kept_private(tmp_path):
    key = identity.secret_key()
    path = tmp_path / "user" / identity.KEY_FILE
    assert path.read_bytes() == key and len(key) == identity.KEY_BYTES
    assert path.stat().st_mode & 0o777 == 0o600
    identity.forget_key()
    assert identity.secret_key() == key  # a restarted server keeps its visitors


def test_an_operator_token_is_worth_nothing_in_another_browser():
    token = identity.operator_token(ANA.visitor_id)
    assert identity.is_operator_token(ANA.visitor_id, token)
    assert not identity.is_operator_token(BEN.visitor_id, token)
    assert not identity.is_operator_token(ANA.visitor_id, None)


def test_the_operator_secret(monkeypatch):
    assert not identity.is_operator_secret("")  # none set: nothing is the secret
    monkeypatch.setenv("DIGITLAB_OPERATOR_SECRET", "correct horse")
    assert identity.is_operator_secret("correct horse") and identity.is_operator_secret(" correct horse ")
    assert not identity.is_operator_secret("Correct horse") and not identity.is_operator_secret("")


@pytest.mark.parametrize("ip, headers, local", [
    (None, {"Host": "localhost:8501"}, True),
    (None, {"Host": "127.0.0.1:8501"}, True),
    (None, {"Host": "[::1]:8501"}, True),
    ("127.0.0.2", {"Host": "127.0.0.2:8501"}, True),
    (None, {}, False),  # no request at all
    ("192.168.1.20", {"Host": "localhost:8501"}, False),  # another machine
    (None, {"Host": "localhost:8501", "X-Forwarded-For": "203.0.113.5"}, False),  # a proxy on this machine
    (None, {"Host": "localhost:8501", "Forwarded": "for=203.0.113.5"}, False),
    (None, {"Host": "digits.example.org"}, False),  # a public name, passed on by a proxy
])
def test_a_local_request_is_this_machine_straight(ip, headers, local):
    assert identity.is_local_request(ip, headers) is local


# --------------------------------------------------------------------------- who may train


def test_visitors_train_only_where_the_operator_allows_it(monkeypatch):
    assert roles.may_train(OPERATOR) and not roles.may_train(ANA)
    request = training_task.Request(TrainConfig("seed003-mlp512-rmsprop", epochs=1, subset=100))
    with pytest.raises(NotAllowed, match="Only the person who runs this server"):
        tasks.start(request, ANA)
    assert jobs.listing() == ([], [])
    monkeypatch.setenv("DIGITLAB_VISITORS_TRAIN", "1")
    assert roles.may_train(ANA)
    monkeypatch.setenv("DIGITLAB_ALLOW_TRAINING", "0")
    assert not roles.may_train(ANA) and not roles.may_train(OPERATOR)


def test_a_visitors_request_is_made_theirs():
    request = training_task.Request(TrainConfig("seed003-mlp512-rmsprop", epochs=1), run_id="default", replace=True)
    mine = training_task.checked(request, ANA)
    assert mine.model_owner == ANA.visitor_id and mine.run_id is None and not mine.replace
    assert training_task.checked(request, OPERATOR).model_owner is None
    with pytest.raises(NotAllowed):
        training_task.checked(training_task.Request(request.config, own_digits_of=BEN.visitor_id), ANA)
    with pytest.raises(NotAllowed, match="teacher"):
        class_task.checked(class_task.Request(BEN.visitor_id, 1, "default"), ANA)


def test_a_visitors_model_is_theirs_and_never_the_servers():
    store = ModelStore()
    theirs = store.save(tiny_model(), {"preset": "tiny", "owner": ANA.visitor_id, "started": "2026-01-01T00:00:00"})
    servers = store.save(tiny_model(), {"preset": "tiny", "started": "2026-01-01T00:00:00"})
    assert roles.may_use_model(ANA, theirs.info) and not roles.may_use_model(BEN, theirs.info)
    assert roles.may_use_model(OPERATOR, theirs.info) and roles.may_use_model(BEN, servers.info)
    assert not roles.may_make_servers_model(ANA, servers.info)
    assert not roles.may_make_servers_model(OPERATOR, theirs.info)
    assert roles.may_make_servers_model(OPERATOR, servers.info)


# --------------------------------------------------------------------------- jobs belong to whoever started them


def test_only_the_owner_or_the_operator_cancels_or_dismisses_a_job():
    job = counting(ANA)
    until(lambda: (jobs.get(job.id).fields.get("step", 0) > 0))
    with pytest.raises(NotAllowed):
        tasks.cancel(job.id, BEN)
    assert jobs.get(job.id).state == jobs.State.RUNNING
    tasks.cancel(job.id, ANA)
    done = until(lambda: (s := jobs.get(job.id)).final and s)
    assert done.state == jobs.State.CANCELLED
    with pytest.raises(NotAllowed):
        tasks.dismiss(job.id, BEN)
    assert jobs.get(job.id) is not None
    tasks.dismiss(job.id, OPERATOR)
    assert jobs.get(job.id) is None


def test_others_see_the_server_busy_but_not_someone_elses_outcome():
    job = counting(ANA)
    for who in (ANA, BEN, OPERATOR):
        running, finished, _ = tasks.visible(who)
        assert running is not None and running.id == job.id and finished == []
    tasks.cancel(job.id, OPERATOR)
    until(lambda: jobs.get(job.id).final)
    assert tasks.visible(BEN)[1] == [] and tasks.visible(BEN)[0] is None
    assert [s.id for s in tasks.visible(ANA)[1]] == [job.id]
    assert [s.id for s in tasks.visible(OPERATOR)[1]] == [job.id]


def test_a_damaged_status_is_skipped_with_a_sentence_not_a_failure():
    for name, content in (("aaaaaaaaaaaa", {"id": "x", "kind": "train", "title": "t", "started": "s"}),  # no state
                          ("bbbbbbbbbbbb", {"id": "x", "kind": "t", "title": "t", "started": "s", "state": "??"}),
                          ("cccccccccccc", [1, 2, 3])):
        write_json_atomic(jobs.jobs_dir() / name / "status.json", content)
    (jobs.jobs_dir() / "dddddddddddd").mkdir()  # no status at all
    found, damaged = jobs.listing()
    assert found == [] and len(damaged) == 4 and all("damaged" in d and "skipped" in d for d in damaged)
    assert tasks.visible(OPERATOR)[2] == damaged and tasks.visible(ANA)[2] == []  # the operator is told
    assert jobs.active() is None and jobs.get("aaaaaaaaaaaa") is None
    job = counting(ANA)  # and a new job runs as ever
    assert jobs.active().id == job.id
