"""Owner guidance, as an owner meets it: help on every field, default instructions, the first-study page,
counts on the studies list, the next step after each step, the launch confirmation, progress with an
estimate of the time left, copy buttons, the outputs browser and its full view of one output."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from tasks.forms import StudyForm
from tasks.models import Assignment, Comparison, Output, Study
from tasks.selectors.studies import launch_preview, study_progress
from tasks.services.studies import EDITABLE_FIELDS, FROZEN_ONCE_LIVE, study_transition
from tasks.tests.design.conftest import jsonl, make_zip, png_with_metadata, text_rows
from tasks.tests.design.test_design_pages import post_form
from tasks.tests.factories import (
    AssignmentFactory,
    OwnerFactory,
    RaterFactory,
    StudyFactory,
    make_study_with_outputs,
)

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- the new-study form


# What each field's help must say: its range (numbers as the service checks them) or its choices.
HELP_MUST_SAY = {
    "name": "200",
    "modality": "Image",
    "instructions": "50,000",
    "criteria": "overall",
    "likert_scale": "score",
    "rationale": "required",
    "rationale_min_length": "0–5000",
    "redundancy": "1–100",
    "pairing": "Sampled",
    "pairs_per_prompt": "1–1000",
    "gold_rate": "0–0.5",
    "repeat_rate": "0–0.5",
    "min_seconds": "0–3600",
    "quota_per_rater": "1–100000",
    "lease_minutes": "1–1440",
    "access": "Invited",
    "completion_code": "100",
    "completion_redirect_url": "https",
    "gold_feedback": "explanation",
    "image_canvas": "Image studies",
    "image_canvas_width": "16–4096",
    "image_canvas_height": "16–4096",
}


def test_every_form_field_has_help_with_its_range(browser):
    assert set(HELP_MUST_SAY) == set(EDITABLE_FIELDS) and len(EDITABLE_FIELDS) == 22
    html = browser.get("/studies/new/").content.decode()
    for field in EDITABLE_FIELDS:
        match = re.search(rf'<p class="help" id="id_{field}_helptext">([^<]+)</p>', html)
        assert match, f"no help text for {field}"
        assert HELP_MUST_SAY[field] in match.group(1), (field, match.group(1))
        # the input points at its help, so screen readers read it with the field
        assert re.search(
            rf'(name="{field}"[^>]*aria-describedby="id_{field}_helptext"|'
            rf'aria-describedby="id_{field}_helptext"[^>]*name="{field}")',
            html,
        ), field
    for _legend, names in StudyForm.SECTIONS:
        assert set(names) <= set(EDITABLE_FIELDS)
    assert sorted(n for _legend, names in StudyForm.SECTIONS for n in names) == sorted(EDITABLE_FIELDS)


def test_new_study_starts_with_instructions_for_its_modality(browser):
    text = browser.get("/studies/new/?modality=text").content.decode()
    image = browser.get("/studies/new/?modality=image").content.decode()
    bogus = browser.get("/studies/new/?modality=<b>").content.decode()
    instructions = re.compile(r'<textarea name="instructions"[^>]*>\s*([^<]*)</textarea>')
    assert "two **anonymous answers**" in instructions.search(text).group(1)
    assert "two **generated images**" in instructions.search(image).group(1)
    assert "two **anonymous answers**" in instructions.search(bogus).group(1)  # unknown modality: text
    # both defaults travel as data (not script) so the page can swap them when the modality changes
    assert '<script id="default-instructions" type="application/json">' in text


# ---------------------------------------------------------------- the studies list


def test_empty_account_walks_through_a_first_study(browser):
    html = browser.get("/").content.decode()
    assert 'id="first-study"' in html and "No studies yet" not in html
    for step in ("Create the study.", "Import outputs.", "Review and launch.", "Share the link and watch."):
        assert step in html
    assert 'href="/studies/new/?modality=text"' in html and '"prompt_id": "p1"' in html


def test_studies_list_shows_counts_in_one_query_per_page(browser, owner, django_assert_num_queries):
    study = make_study_with_outputs(owner=owner, n_systems=3, n_prompts=2, status="draft")
    study_transition(study=study, action="launch")
    comparison = Comparison.objects.filter(study=study).first()
    for _ in range(2):
        AssignmentFactory(study=study, comparison=comparison, status="submitted")
    AssignmentFactory(study=study, comparison=comparison)  # a lease: not a judgment
    StudyFactory(owner=owner, status="draft", name="Empty one")
    browser.get("/")  # the session's first request after login writes it once
    with django_assert_num_queries(4):  # session, user, owner-group check, the studies with their counts
        html = browser.get("/").content.decode()
    row = re.search(rf'<tr data-study="{study.slug}">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', row) == ["6", "6", "2"]  # outputs, comparisons, judgments
    assert "status-live" in row
    assert "first-study" not in html


# ---------------------------------------------------------------- next steps


def test_next_step_follows_the_owner_from_create_to_watch(browser, owner):
    response = post_form(
        browser,
        "/studies/new/",
        {**{k: str(v) for k, v in StudyForm.initial_for(None).items() if v is not None}, "name": "Flow"},
    )
    study = Study.objects.get(name="Flow")
    assert response["Location"] == f"/studies/{study.slug}/import/"

    def step() -> str:
        return re.search(r'id="next-step" data-step="(\w+)"', browser.get(f"/studies/{study.slug}/").content.decode())[
            1
        ]

    assert step() == "import"
    rows = text_rows(2, ("alpha-one", "beta-two"))
    rows[0]["output"] = "As an AI developed by alpha-one, I think so."
    page = post_form(
        browser,
        f"/studies/{study.slug}/import/",
        {"file": SimpleUploadedFile("o.jsonl", jsonl(rows)), "file_format": "auto"},
    ).content.decode()
    assert 'id="import-next"' in page and f'href="/studies/{study.slug}/outputs/?review=flagged"' in page
    assert step() == "review_leaks"
    Output.objects.filter(study=study, leak_review="flagged").update(leak_review="kept")
    assert step() == "launch"
    html = browser.get(f"/studies/{study.slug}/").content.decode()
    assert f'href="/studies/{study.slug}/launch/"' in html and 'name="action" value="launch"' not in html
    response = post_form(browser, f"/studies/{study.slug}/launch/", {})
    assert response["Location"] == f"/studies/{study.slug}/"
    page = browser.get(response["Location"]).content.decode()
    assert "share the rater link" in page and 'data-step="share"' in page
    AssignmentFactory(study=study, comparison=Comparison.objects.filter(study=study).first(), status="submitted")
    assert step() == "watch"
    study_transition(study=study, action="pause")
    assert step() == "resume"
    study_transition(study=study, action="close")
    assert step() == "results"


def test_import_without_leaks_points_to_launch(browser, draft_text_study):
    page = post_form(
        browser,
        f"/studies/{draft_text_study.slug}/import/",
        {"file": SimpleUploadedFile("o.jsonl", jsonl(text_rows(2))), "file_format": "auto"},
    ).content.decode()
    assert f'href="/studies/{draft_text_study.slug}/launch/"' in page and "Review and launch" in page


def test_web_import_lists_errors_in_line_order(browser, draft_text_study):
    rows = text_rows(2, ("alpha-one", "beta-two"))
    rows[0]["gold"] = {"vs": "nobody", "answer": "a"}  # found by the gold pass, after the line pass
    rows[2]["colour"] = "red"
    page = post_form(
        browser,
        f"/studies/{draft_text_study.slug}/import/",
        {"file": SimpleUploadedFile("o.jsonl", jsonl(rows)), "file_format": "auto"},
    ).content.decode()
    lines = [int(n) for n in re.findall(r'<tr><td class="num">(\d+)</td>', page)]
    assert lines == [1, 3]


# ---------------------------------------------------------------- the launch confirmation


def test_launch_page_says_what_launch_does_and_what_freezes_in_words(browser, owner):
    study = make_study_with_outputs(owner=owner, n_systems=3, n_prompts=4, status="draft", repeat_rate=0.25)
    html = browser.get(f"/studies/{study.slug}/launch/").content.decode()
    assert "Makes 12 pairs for raters to judge, from 4 prompts." in html
    assert "36 judgments to reach the target" in html
    assert "Adds 3 repeated pairs" in html
    freezes = re.search(r'id="launch-freezes">(.*?)</section>', html, re.S).group(1)
    for field in FROZEN_ONCE_LIVE:
        assert f'data-field="{field}"' in freezes
    visible = re.sub(r"<[^>]+>", " ", freezes)
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", visible), "an internal field name is shown to the owner"
    assert "The questions raters answer for every pair (the criteria): " in re.sub(r"<[^>]+>", "", freezes)
    study.refresh_from_db()
    assert study.status == "draft" and not Comparison.objects.filter(study=study).exists()  # GET changes nothing
    response = post_form(browser, f"/studies/{study.slug}/launch/", {})
    assert response.status_code == 302
    preview_numbers = Comparison.objects.filter(study=study).values_list("kind", flat=True)
    assert sorted(set(preview_numbers)) == ["regular", "repeat"]
    assert list(preview_numbers).count("regular") == 12 and list(preview_numbers).count("repeat") == 3


def test_launch_preview_matches_what_pairing_makes(owner):
    study = make_study_with_outputs(
        owner=owner, n_systems=4, n_prompts=5, status="draft", pairing="sampled", pairs_per_prompt=2, repeat_rate=0.1
    )
    Output.objects.filter(study=study, prompt__external_id="p0").exclude(system__name="sys-0").update(
        leak_review="excluded"
    )  # p0 keeps one output: unpaired
    preview = launch_preview(study=study)
    study_transition(study=study, action="launch")
    made = Comparison.objects.filter(study=study)
    assert preview["regular"] == made.filter(kind="regular").count() == 8
    assert preview["repeat"] == made.filter(kind="repeat").count() == 1
    assert (preview["prompts_paired"], preview["prompts_unpaired"], preview["excluded"]) == (4, 1, 3)


def test_launch_page_refuses_while_leaks_are_unreviewed(browser, owner):
    study = make_study_with_outputs(owner=owner, status="draft")
    Output.objects.filter(pk=Output.objects.filter(study=study).first().pk).update(leak_review="flagged")
    html = browser.get(f"/studies/{study.slug}/launch/").content.decode()
    assert 'id="launch-blockers"' in html and re.search(r'id="launch-confirm" disabled', html)
    page = post_form(browser, f"/studies/{study.slug}/launch/", {}).content.decode()
    assert "flagged for possible identity leaks" in page  # the service's own message
    study.refresh_from_db()
    assert study.status == "draft"


def test_launch_page_of_a_live_study_goes_back(browser, owner):
    study = StudyFactory(owner=owner, status="live")
    assert browser.get(f"/studies/{study.slug}/launch/")["Location"] == f"/studies/{study.slug}/"
    other = Client()
    other.force_login(OwnerFactory())
    assert other.get(f"/studies/{study.slug}/launch/").status_code == 404


def test_settings_page_names_frozen_settings_in_words(browser, owner):
    study = make_study_with_outputs(owner=owner, status="draft")
    study_transition(study=study, action="launch")
    html = browser.get(f"/studies/{study.slug}/edit/").content.decode()
    note = re.sub(r"<[^>]+>", "", re.search(r'id="frozen-note">(.*?)</div>', html, re.S).group(1))
    assert "Whether raters also score each output on its own, and on which scale: off" in note
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", note)  # no internal field names (likert_scale, repeat_rate…)


# ---------------------------------------------------------------- progress, links


def _judge(study: Study, comparison: Comparison, n: int, *, minutes_ago: float) -> None:
    when = timezone.now() - dt.timedelta(minutes=minutes_ago)
    for _ in range(n):
        AssignmentFactory(
            study=study, comparison=comparison, rater=RaterFactory(study=study), status="submitted", finished_at=when
        )
    Comparison.objects.filter(pk=comparison.pk).update(judgment_count=comparison.assignments.count())


def test_progress_counts_toward_the_target_and_estimates_the_time_left(owner):
    study = make_study_with_outputs(owner=owner, n_systems=3, n_prompts=4, status="draft", redundancy=3)
    study_transition(study=study, action="launch")  # 12 regular comparisons: target 36
    first, second = Comparison.objects.filter(study=study, kind="regular")[:2]
    _judge(study, first, 3, minutes_ago=10)
    _judge(study, second, 3, minutes_ago=30)
    Comparison.objects.filter(pk=first.pk).update(judgment_count=5)  # beyond the redundancy: counts 3
    gold = Comparison.objects.create(
        study=study, prompt=first.prompt, output_a=first.output_b, output_b=first.output_a, kind="gold"
    )
    _judge(study, gold, 4, minutes_ago=5)  # gold is extra work, not progress
    progress = study_progress(study=study)
    assert (progress["judged"], progress["target"], progress["remaining"]) == (6, 36, 30)
    assert progress["rate_judgments"] == 6 and progress["rate_per_hour"] == 6.0
    assert progress["eta_seconds"] == 5 * 3600  # 30 to go at 6 an hour
    Assignment.objects.filter(study=study).update(finished_at=timezone.now() - dt.timedelta(hours=5))
    slow = study_progress(study=study)  # the hour is quiet: the day's rate
    assert slow["rate_window_hours"] == 24 and slow["eta_seconds"] == 30 * 24 * 3600 // 6
    Assignment.objects.filter(study=study).update(finished_at=timezone.now() - dt.timedelta(days=3))
    assert study_progress(study=study)["eta_seconds"] is None


def test_study_page_shows_progress_eta_and_copyable_links(browser, owner):
    study = make_study_with_outputs(owner=owner, n_systems=2, n_prompts=10, status="draft", redundancy=1)
    study_transition(study=study, action="launch")
    for comparison in Comparison.objects.filter(study=study)[:6]:
        _judge(study, comparison, 1, minutes_ago=20)
    html = browser.get(f"/studies/{study.slug}/").content.decode()
    assert '<progress id="target-progress" max="10" value="6">' in html
    assert "6 of 10 judgments (60%): 10 comparisons × 1 ratings each." in html
    assert re.search(r"4 to go\. At the recent rate \(6 judgments per hour\), about (39|40)\sminutes left\.", html)
    for key in ("open", "prolific", "panel"):
        assert re.search(rf'<button type="button" class="copy" data-copy-from="link-{key}">', html)
    assert f'value="http://testserver/r/{study.slug}/?PROLIFIC_PID={{{{%PROLIFIC_PID%}}}}' in html
    assert 'src="/static/js/owner.js"' in html


OWNER_PAGES = [
    "/",
    "/studies/new/",
    "/studies/{slug}/",
    "/studies/{slug}/edit/",
    "/studies/{slug}/import/",
    "/studies/{slug}/outputs/",
    "/studies/{slug}/outputs/{output}/",
    "/studies/{slug}/gold/",
    "/studies/{slug}/invites/",
    "/studies/{slug}/leaderboard/",
    "/studies/{slug}/quality/",
    "/studies/{slug}/exports/",
    "/studies/{slug}/feedback/",
]


@pytest.mark.parametrize("path", OWNER_PAGES)
def test_owner_pages_carry_no_inline_script_handler_or_style(browser, owner, path):
    """An enforcing CSP allows scripts and styles only from static files."""
    study = make_study_with_outputs(owner=owner, status="live")
    url = path.format(slug=study.slug, output=Output.objects.filter(study=study).first().public_id)
    response = browser.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), "inline event handler"
    assert not re.search(r"<[^>]+\sstyle\s*=", html), "inline style attribute"
    assert "<style" not in html
    for script in re.findall(r"<script[^>]*>", html):
        assert "src=" in script or 'type="application/json"' in script, script


# ---------------------------------------------------------------- outputs


def test_outputs_page_opens_on_all_outputs_with_filters(browser, draft_text_study):
    rows = text_rows(3, ("alpha-one", "beta-two"))
    rows[1]["output"] = "I am a large language model trained by beta-two."
    rows[4]["output"] = "Photosynthesis turns light into sugar."
    from tasks.services.imports import import_outputs

    import_outputs(study=draft_text_study, data=jsonl(rows))
    base = f"/studies/{draft_text_study.slug}/outputs/"
    html = browser.get(base).content.decode()
    assert html.count('name="output" value=') == 6 and "6 outputs" in html
    assert "All (6)" in html and "Flagged, awaiting review (1)" in html
    assert html.count('name="output" value=') == 6
    only_beta = browser.get(base, {"system": "beta-two"}).content.decode()
    assert only_beta.count('name="output" value=') == 3 and "3 outputs" in only_beta
    flagged = browser.get(base, {"review": "flagged"}).content.decode()
    assert flagged.count('name="output" value=') == 1 and "large language model" in flagged
    found = browser.get(base, {"q": "photosynth"}).content.decode()
    assert found.count('name="output" value=') == 1 and "Photosynthesis" in found
    by_prompt = browser.get(base, {"q": "p2"}).content.decode()
    assert by_prompt.count('name="output" value=') == 2
    nothing = browser.get(base, {"q": "zzz-no-such"}).content.decode()
    assert "No output matches these filters." in nothing
    unknown = browser.get(base, {"system": "<script>", "review": "bogus"}).content.decode()
    assert unknown.count('name="output" value=') == 6  # unknown filters mean "all", never an error


def test_outputs_pagination_keeps_the_filters(browser, owner):
    study = make_study_with_outputs(owner=owner, n_systems=2, n_prompts=60, status="draft")
    html = browser.get(f"/studies/{study.slug}/outputs/", {"system": "sys-1"}).content.decode()
    assert "Page 1 of 2" in html and 'href="?system=sys-1&amp;page=2"' in html
    second = browser.get(f"/studies/{study.slug}/outputs/", {"system": "sys-1", "page": 2}).content.decode()
    assert second.count('name="output" value=') == 10


def test_review_from_a_filtered_page_returns_to_it(browser, owner):
    study = make_study_with_outputs(owner=owner, status="draft")
    output = Output.objects.filter(study=study, system__name="sys-1").first()
    url = f"/studies/{study.slug}/outputs/?system=sys-1&q=answers"
    response = post_form(
        browser,
        url,
        {"output": [output.public_id], "decision": "exclude", "system": "sys-1", "q": "answers", "review": ""},
    )
    assert response["Location"] == f"/studies/{study.slug}/outputs/?system=sys-1&q=answers"
    output.refresh_from_db()
    assert output.leak_review == "excluded"


def test_one_output_in_full_as_raters_see_it(browser, owner):
    study = StudyFactory(owner=owner, status="draft")
    long_answer = "Intro:\n\n- **first** point\n- second point\n\n" + "word " * 400 + "THE-END"
    from tasks.services.imports import import_outputs

    import_outputs(
        study=study,
        data=jsonl(
            [
                {"prompt_id": "q1", "prompt": "Explain *this*.", "system": "alpha-one", "output": long_answer},
                {"prompt_id": "q1", "prompt": "Explain *this*.", "system": "beta-two", "output": "Short."},
            ]
        ),
    )
    output = Output.objects.get(study=study, system__name="alpha-one")
    listing = browser.get(f"/studies/{study.slug}/outputs/").content.decode()
    assert "THE-END" not in listing  # the list cuts long outputs…
    assert f'href="/studies/{study.slug}/outputs/{output.public_id}/"' in listing  # …and links the full view
    html = browser.get(f"/studies/{study.slug}/outputs/{output.public_id}/").content.decode()
    full = re.search(r'id="output-full"(.*?)</section>', html, re.S).group(1)
    assert "<strong>first</strong>" in full and "<li>" in full and "THE-END" in full and "**" not in full
    assert "<em>this</em>" in html and "alpha-one" in html  # the owner also sees the system
    other = make_study_with_outputs(status="draft")
    foreign = Output.objects.filter(study=other).first()
    assert browser.get(f"/studies/{study.slug}/outputs/{foreign.public_id}/").status_code == 404


def test_image_output_full_view_shows_the_blinded_image(browser, draft_image_study):
    from tasks.services.imports import import_outputs

    import_outputs(
        study=draft_image_study,
        data=jsonl(
            [
                {"prompt_id": "p1", "prompt": "A fox", "system": "secret-sdxl-v2", "image": "a.png"},
                {"prompt_id": "p1", "prompt": "A fox", "system": "flux-dev", "image": "b.png"},
            ]
        ),
        images_zip=make_zip({"a.png": png_with_metadata(size=(40, 30)), "b.png": png_with_metadata((1, 2, 3))}),
    )
    output = Output.objects.get(study=draft_image_study, system__name="secret-sdxl-v2")
    html = browser.get(f"/studies/{draft_image_study.slug}/outputs/{output.public_id}/").content.decode()
    assert f'src="/r/img/{output.public_id}.png"' in html and 'width="40" height="30"' in html
    image = browser.get(f"/r/img/{output.public_id}.png")
    assert image.status_code == 200 and b"secret-sdxl-v2" not in image.content


def test_keep_or_exclude_from_the_full_view_comes_back_to_it(browser, owner):
    study = make_study_with_outputs(owner=owner, status="draft")
    output = Output.objects.filter(study=study).first()
    Output.objects.filter(pk=output.pk).update(leak_review="flagged")
    url = f"/studies/{study.slug}/outputs/{output.public_id}/"
    page = browser.get(url).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        f"/studies/{study.slug}/outputs/",
        {"csrfmiddlewaretoken": token, "output": output.public_id, "next": "output", "decision": "keep"},
    )
    assert response["Location"] == url
    output.refresh_from_db()
    assert output.leak_review == "kept"


# ---------------------------------------------------------------- Chinese owner pages


def test_every_choice_label_an_owner_sees_is_marked_for_translation():
    from tasks.models import ImportJob
    from tasks.presentation import CHOICE_LABELS

    choices = [Study.Status, Study.Modality, Study.Pairing, Study.Rationale, Study.Access, Study.ImageCanvas]
    labels = {label for enum in [*choices, Output.LeakReview, ImportJob.Status] for label in enum.labels}
    assert labels <= set(CHOICE_LABELS), labels - set(CHOICE_LABELS)


def test_owner_pages_speak_chinese(owner):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(owner)
    home = client.get("/").content.decode()
    assert "四步完成你的第一个研究" in home and "Your first study" not in home
    form = client.get("/studies/new/").content.decode()
    assert "1–1440 分钟" in form and "你会看到一个**问题**" in form  # help and default instructions
    study = make_study_with_outputs(owner=owner, status="draft")
    page = client.get(f"/studies/{study.slug}/").content.decode()
    assert "下一步" in page and "草稿" in page and "Next step" not in page
    outputs = client.get(f"/studies/{study.slug}/outputs/").content.decode()
    assert '<th scope="col">提示词</th>' in outputs and ">提示<" not in outputs  # "Prompt" is not "hint"
    launch = client.get(f"/studies/{study.slug}/launch/").content.decode()
    assert "哪些会被冻结" in launch and "评审员对每一对回答的问题（评判标准）" in launch
