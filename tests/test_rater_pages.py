"""Rater pages and JSON endpoints through the Django test client: links, consent, task loop, CSRF, completion."""

import datetime as dt
import io
import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from ratings.models import Judgment
from tasks.models import Assignment, Comparison, OutputReport, Rater, Study
from tasks.tests.factories import ComparisonFactory, OutputFactory, StudyFactory
from tests.sessions import csrf_token, rater_session, with_empty_rater_session

pytestmark = pytest.mark.django_db

PROLIFIC = {"PROLIFIC_PID": "5f1a2b3c4d5e6f7a8b9c0d1e", "STUDY_ID": "60aa11bb22cc33dd44ee55ff", "SESSION_ID": "abc123"}
TWO = [{"key": "helpful", "label": "Helpful"}, {"key": "safe", "label": "Safe"}]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


def start(client: Client, study: Study, params: dict | None = None) -> Rater:
    """Open the link, agree to the consent form (with the page's CSRF token)."""
    resp = client.get(reverse("rater-entry", args=[study.slug]), params or PROLIFIC)
    assert resp.status_code == 302 and resp["Location"] == reverse("rater-consent", args=[study.slug])
    page = client.get(resp["Location"])
    token = page.context["csrf_token"]
    resp = client.post(reverse("rater-consent", args=[study.slug]), {"csrfmiddlewaretoken": str(token)})
    assert resp.status_code == 302 and resp["Location"] == reverse("rater-task", args=[study.slug])
    return Rater.objects.get(pk=rater_session(client)[f"rater:{study.pk}"])


def task_page(client: Client, study: Study):
    resp = client.get(reverse("rater-task", args=[study.slug]))
    assert resp.status_code == 200, resp.content[:500]
    return resp


def post_json(client: Client, url: str, body: dict, *, csrf: bool = True, token: str | None = None):
    headers = {"HTTP_X_CSRFTOKEN": token or csrf_token(client)} if csrf else {}
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_prolific_link_binds_session_and_ids_leave_the_url():
    study = StudyFactory(criteria=TWO, instructions="Read **carefully**.")
    ComparisonFactory(study=study)
    client = csrf_client()
    rater = start(client, study)
    assert rater.platform == "prolific" and rater.external_id == PROLIFIC["PROLIFIC_PID"]
    assert rater.session_meta == {"STUDY_ID": PROLIFIC["STUDY_ID"], "SESSION_ID": PROLIFIC["SESSION_ID"]}
    assert rater.consented_at is not None
    # a second visit with the same ids is the same rater
    client.get(reverse("rater-entry", args=[study.slug]), PROLIFIC)
    assert Rater.objects.filter(study=study).count() == 1


def test_consent_page_renders_instructions_as_safe_markdown():
    study = StudyFactory(instructions="Read **carefully**. <script>alert(1)</script>")
    client = Client()
    client.get(reverse("rater-entry", args=[study.slug]), PROLIFIC)
    html = client.get(reverse("rater-consent", args=[study.slug])).content.decode()
    assert "<strong>carefully</strong>" in html
    assert "<script>alert" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"PROLIFIC_PID": "bad id!"}, "PROLIFIC_PID"),
        ({"PROLIFIC_PID": "x" * 65}, "PROLIFIC_PID"),
        ({"PROLIFIC_PID": "ok1", "SESSION_ID": "<script>"}, "SESSION_ID"),
        ({"workerId": "A1B2", "assignmentId": "3X", "turkSubmitTo": "https://evil.example"}, "turkSubmitTo"),
        ({"workerId": "A1B2"}, "assignmentId"),
        ({"pid": "spaces are not ok"}, "pid"),
    ],
)
def test_invalid_link_ids_get_a_clear_error_and_nothing_is_written(params, field):
    study = StudyFactory()
    resp = Client().get(reverse("rater-entry", args=[study.slug]), params)
    assert resp.status_code == 400
    html = resp.content.decode()
    assert field in html
    assert "letters" in html or "missing" in html or "MTurk address" in html  # the rule that failed is named
    assert Rater.objects.count() == 0


def test_mturk_preview_shows_the_task_and_hands_out_nothing():
    study = StudyFactory(instructions="Compare *two* answers.")
    ComparisonFactory(study=study)
    client = Client()
    resp = client.get(
        reverse("rater-entry", args=[study.slug]), {"assignmentId": "ASSIGNMENT_ID_NOT_AVAILABLE", "hitId": "H1"}
    )
    assert resp.status_code == 200
    assert "<em>two</em>" in resp.content.decode() and "Preview" in resp.content.decode()
    assert Rater.objects.count() == 0 and Assignment.objects.count() == 0
    assert not any(k.startswith("rater:") for k in client.session.keys())


def test_mturk_completion_posts_back_to_turk_submit_to():
    study = StudyFactory(criteria=TWO, completion_code="MT-OK", redundancy=1)
    ComparisonFactory(study=study)
    client = csrf_client()
    params = {
        "workerId": "A2WORKER",
        "assignmentId": "3ASSIGN",
        "hitId": "3HIT",
        "turkSubmitTo": "https://workersandbox.mturk.com",
    }
    start(client, study, params)
    page = task_page(client, study)
    resp = post_json(client, page.context["config"]["submitUrl"], {"choices": {"helpful": "left", "safe": "tie"}})
    assert resp.status_code == 200
    done = client.get(reverse("rater-done", args=[study.slug]))
    html = done.content.decode()
    assert 'action="https://workersandbox.mturk.com/mturk/externalSubmit"' in html
    assert 'name="assignmentId" value="3ASSIGN"' in html


def test_generic_pid_anonymous_and_account_raters():
    study = StudyFactory()
    c1 = Client()
    c1.get(reverse("rater-entry", args=[study.slug]), {"pid": "panel-77"})
    c2 = Client()
    c2.get(reverse("rater-entry", args=[study.slug]))
    c2.get(reverse("rater-entry", args=[study.slug]))  # same browser, same anonymous rater
    from tasks.tests.factories import UserFactory

    user = UserFactory()
    c3 = Client()
    c3.force_login(user)
    c3.get(reverse("rater-entry", args=[study.slug]))
    platforms = sorted(Rater.objects.values_list("platform", flat=True))
    assert platforms == ["account", "anonymous", "generic"]
    assert Rater.objects.get(platform="account").user == user


def test_invite_only_study_needs_a_valid_token():
    study = StudyFactory(access=Study.Access.INVITE)
    owner = study.owner
    api = Client()
    api.force_login(owner)
    resp = api.post(reverse("api-study-invites", args=[study.slug]), {"count": 3}, content_type="application/json")
    assert resp.status_code == 201
    links = [i["link"] for i in resp.json()["invites"]]
    assert len(links) == 3 and all("token=" in link for link in links)
    # without a token, or with a wrong one: refused, nothing created
    assert Client().get(reverse("rater-entry", args=[study.slug]), PROLIFIC).status_code == 403
    assert Client().get(reverse("rater-entry", args=[study.slug]), {"token": "x" * 32}).status_code == 403
    assert Rater.objects.count() == 3
    token = links[0].split("token=")[1]
    client = Client()
    resp = client.get(reverse("rater-entry", args=[study.slug]), {"token": token})
    assert resp.status_code == 302
    assert rater_session(client)[f"rater:{study.pk}"] == Rater.objects.get(invite_token=token).pk
    # another owner cannot create invites for this study; raters cannot either
    from tasks.tests.factories import OwnerFactory

    stranger = Client()
    stranger.force_login(OwnerFactory())
    assert stranger.post(reverse("api-study-invites", args=[study.slug]), {"count": 1}).status_code == 404
    bad = api.post(reverse("api-study-invites", args=[study.slug]), {"count": 0}, content_type="application/json")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_error"


def test_submit_requires_csrf_even_for_anonymous_sessions():
    study = StudyFactory(criteria=TWO)
    ComparisonFactory(study=study)
    client = csrf_client()
    start(client, study)
    page = task_page(client, study)
    url = page.context["config"]["submitUrl"]
    body = {"choices": {"helpful": "left", "safe": "tie"}}
    resp = post_json(client, url, body, csrf=False)
    assert resp.status_code == 403 and "CSRF" in resp.json()["message"]
    assert Judgment.objects.count() == 0
    skip = post_json(client, page.context["config"]["skipUrl"], {"reason": "x"}, csrf=False)
    assert skip.status_code == 403 and Assignment.objects.get().status == "leased"
    assert post_json(client, url, body).status_code == 200
    assert Judgment.objects.count() == 1


def test_task_loop_submit_skip_report_and_completion_code():
    study = StudyFactory(criteria=TWO, redundancy=1, quota_per_rater=2, completion_code="CODE-42")
    ComparisonFactory.create_batch(3, study=study)
    client = csrf_client()
    start(client, study)
    page = task_page(client, study)
    cfg = page.context["config"]
    # Report an identity leak on the right side, then skip the pair
    report = post_json(client, cfg["reportUrl"], {"target": "right", "reason": "identity", "note": "names itself"})
    assert report.status_code == 200 and OutputReport.objects.get().reason == "identity"
    skip = post_json(client, cfg["skipUrl"], {"reason": "cannot_judge"})
    assert skip.status_code == 200 and skip.json()["status"] == "skipped"
    for _ in range(2):
        cfg = task_page(client, study).context["config"]
        resp = post_json(client, cfg["submitUrl"], {"choices": {"helpful": "right", "safe": "both_bad"}})
        assert resp.status_code == 200
        retry = post_json(client, cfg["submitUrl"], {"choices": {"helpful": "left", "safe": "left"}})
        assert retry.json() == resp.json()  # idempotent: same stored result
    assert Judgment.objects.count() == 2
    resp = client.get(reverse("rater-task", args=[study.slug]))
    assert resp.status_code == 302 and resp["Location"] == reverse("rater-done", args=[study.slug])
    done = client.get(resp["Location"])
    assert "CODE-42" in done.content.decode()
    assert 'href="https://app.prolific.com/submissions/complete?cc=CODE-42"' in done.content.decode()
    assert Rater.objects.get().completed_at is not None


def test_done_page_without_work_done_gives_no_code_and_redirects_when_work_remains():
    study = StudyFactory(completion_code="SECRET-CODE")
    ComparisonFactory(study=study)
    client = Client()
    start(client, study)
    resp = client.get(reverse("rater-done", args=[study.slug]))
    assert resp.status_code == 302 and resp["Location"] == reverse("rater-task", args=[study.slug])
    empty = StudyFactory(completion_code="SECRET-CODE")
    client.get(reverse("rater-entry", args=[empty.slug]), PROLIFIC)
    page = client.get(reverse("rater-done", args=[empty.slug]))
    assert "SECRET-CODE" not in page.content.decode()


def test_custom_completion_redirect_gets_cc():
    study = StudyFactory(
        completion_code="C1", completion_redirect_url="https://panel.example/finish?src=eval", redundancy=1
    )
    ComparisonFactory(study=study)
    client = csrf_client()
    start(client, study, {"pid": "p1"})
    cfg = task_page(client, study).context["config"]
    post_json(client, cfg["submitUrl"], {"choices": {"overall": "tie"}})
    html = client.get(reverse("rater-done", args=[study.slug])).content.decode()
    assert 'href="https://panel.example/finish?src=eval&amp;cc=C1"' in html


def test_gold_feedback_in_screen_sides_with_running_accuracy():
    study = StudyFactory(criteria=TWO, gold_rate=1.0)
    gold = ComparisonFactory(
        study=study, kind="gold", gold_answers={"helpful": "a", "safe": "tie"}, gold_explanation="A cites sources."
    )
    ComparisonFactory(study=study)
    client = csrf_client()
    start(client, study)
    page = task_page(client, study)
    assignment = Assignment.objects.get(comparison=gold)
    expected_screen = "left" if assignment.left_side == "a" else "right"
    wrong_screen = "right" if expected_screen == "left" else "left"
    resp = post_json(client, page.context["config"]["submitUrl"], {"choices": {"helpful": wrong_screen, "safe": "tie"}})
    data = resp.json()
    assert data["feedback"] == {
        "matched": False,
        "expected": {"helpful": expected_screen, "safe": "tie"},
        "explanation": "A cites sources.",
    }
    assert data["gold_accuracy"] == {"correct": 0, "total": 1}
    assert "a" not in data["choices"].values()  # screen sides only


def test_expired_lease_submit_is_refused_with_clear_error():
    study = StudyFactory()
    ComparisonFactory(study=study)
    client = csrf_client()
    start(client, study)
    cfg = task_page(client, study).context["config"]
    now = timezone.now()
    Assignment.objects.update(leased_at=now - dt.timedelta(minutes=20), expires_at=now - dt.timedelta(seconds=1))
    resp = post_json(client, cfg["submitUrl"], {"choices": {"overall": "tie"}})
    assert resp.status_code == 409 and resp.json()["code"] == "lease_expired"
    assert Judgment.objects.count() == 0


def test_foreign_assignment_via_api_is_404():
    study = StudyFactory()
    ComparisonFactory(study=study, judgment_count=0)
    alice = csrf_client()
    start(alice, study)
    cfg = task_page(alice, study).context["config"]
    bob = csrf_client()
    start(bob, study, {"PROLIFIC_PID": "bob1"})
    task_page(bob, study)  # puts bob's csrf secret in his rater session
    resp = post_json(bob, cfg["submitUrl"], {"choices": {"overall": "tie"}})
    assert resp.status_code == 404 and resp.json()["code"] == "assignment_not_found"
    nobody = post_json(csrf_client_with_cookie(), cfg["submitUrl"], {"choices": {"overall": "tie"}})
    assert nobody.status_code == 403 and nobody.json()["code"] == "no_rater_session"
    assert Judgment.objects.count() == 0


def csrf_client_with_cookie() -> Client:
    return with_empty_rater_session(csrf_client())


def test_blocked_rater_gets_no_work_and_paused_study_shows_notice():
    study = StudyFactory()
    ComparisonFactory(study=study)
    client = Client()
    rater = start(client, study)
    Rater.objects.filter(pk=rater.pk).update(status="blocked")
    resp = client.get(reverse("rater-task", args=[study.slug]))
    assert resp.status_code == 200 and "has ended" in resp.content.decode()
    assert Assignment.objects.count() == 0
    Study.objects.filter(pk=study.pk).update(status="paused")
    assert "paused" in client.get(reverse("rater-entry", args=[study.slug])).content.decode()


def test_rater_image_is_served_by_opaque_id_only_for_live_studies():
    study = StudyFactory(modality="image")
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    out = OutputFactory(study=study, text="")
    out.image.save("whatever.png", ContentFile(buf.getvalue()))
    resp = Client().get(reverse("blind-image", args=[out.public_id]))
    assert resp.status_code == 200 and resp["Content-Type"] == "image/png"
    assert resp["X-Content-Type-Options"] == "nosniff" and resp.get("Content-Disposition", "inline") == "inline"
    assert resp.content == buf.getvalue()
    Study.objects.filter(pk=study.pk).update(status="draft")
    assert Client().get(reverse("blind-image", args=[out.public_id])).status_code == 404


def test_chinese_ui_from_the_browser_language():
    study = StudyFactory()
    ComparisonFactory(study=study)
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    start(client, study)
    html = client.get(reverse("rater-task", args=[study.slug])).content.decode()
    assert "左边更好" in html and 'lang="zh-hans"' in html


def test_exact_query_counts_on_the_rater_hot_path(django_assert_num_queries):
    """Entry, a new lease, the page of a held lease, a submit and its retry: exact counts, so an N+1 fails."""
    study = StudyFactory(criteria=TWO, redundancy=2)
    for _ in range(6):
        ComparisonFactory(study=study)
    with django_assert_num_queries(9):
        assert Client().get(reverse("rater-entry", args=[study.slug]), PROLIFIC).status_code == 302
    client = csrf_client()
    start(client, study)
    with django_assert_num_queries(17):
        page = task_page(client, study)
    with django_assert_num_queries(10):
        task_page(client, study)  # the same lease, shown again
    url = page.context["config"]["submitUrl"]
    token = csrf_token(client)  # read before counting: the page holds it, no query of the request
    with django_assert_num_queries(14):
        resp = post_json(client, url, {"choices": {"helpful": "left", "safe": "tie"}}, token=token)
    assert resp.status_code == 200
    with django_assert_num_queries(9):
        assert post_json(client, url, {"choices": {"helpful": "left", "safe": "tie"}}, token=token).status_code == 200
    assert Comparison.objects.filter(judgment_count=1).count() == 1


def test_owner_invites_page_creates_links_and_is_closed_to_others():
    from tasks.tests.factories import OwnerFactory

    study = StudyFactory(access=Study.Access.INVITE)
    owner = Client()
    owner.force_login(study.owner)
    url = reverse("owner-study-invites", args=[study.slug])
    resp = owner.post(url, {"count": "4"})
    assert resp.status_code == 302
    page = owner.get(url).content.decode()
    assert page.count("?token=") == 4
    owner.post(url, {"count": "0"})
    owner.post(url, {"count": "lots"})
    assert Rater.objects.filter(study=study).count() == 4
    stranger = Client()
    stranger.force_login(OwnerFactory())
    assert stranger.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # to the login page


def test_language_switch_and_likert_rationale_controls():
    study = StudyFactory(likert_scale=7, rationale="required", rationale_min_length=5)
    ComparisonFactory(study=study)
    client = Client()
    start(client, study)
    html = client.get(reverse("rater-task", args=[study.slug])).content.decode()
    assert html.count('data-likert="left"') == 1 and '<option value="7">7</option>' in html
    assert 'id="rationale"' in html and "Why? (required)" in html
    resp = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": reverse("rater-task", args=[study.slug])}
    )
    assert resp.status_code == 302
    html = client.get(reverse("rater-task", args=[study.slug])).content.decode()
    assert "理由（必填）" in html and "键盘快捷键" in html


@pytest.mark.parametrize("quota", [None, 3])
def test_progress_never_passes_its_target_and_the_done_page_adds_up(quota):
    """Check items (gold) come on top of regular work: the count shows N of N at the end, never N+1 of N,
    and the done page says how many pairs and how many check items, which add up to what was submitted."""
    study = StudyFactory(gold_rate=1.0, quota_per_rater=quota, redundancy=1)  # the gold item comes first
    ComparisonFactory(study=study, kind="gold", gold_answers={"overall": "a"})
    for _ in range(3):
        ComparisonFactory(study=study)
    client = csrf_client()
    start(client, study)
    submitted = 0
    while (resp := client.get(reverse("rater-task", args=[study.slug]))).status_code == 200:
        progress = resp.context["progress"]
        assert progress["done"] < progress["target"]  # an item on screen is not done yet: never "N of N" here
        body = post_json(client, resp.context["config"]["submitUrl"], {"choices": {"overall": "tie"}}).json()
        submitted += 1
        assert body["progress"]["done"] <= body["progress"]["target"]
    assert resp["Location"] == reverse("rater-done", args=[study.slug])
    assert body["progress"]["done"] == body["progress"]["target"]  # the last item ends on "N of N"
    done = client.get(resp["Location"])
    regular, checks = done.context["progress"]["regular"], done.context["progress"]["checks"]
    assert regular + checks == submitted
    html = done.content.decode()
    assert f"You judged {regular} pair" in html
    assert (f"You also answered {checks} check item" in html) is bool(checks)
    assert checks == 1
