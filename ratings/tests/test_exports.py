"""Exports: every format round-trips, loads in the tools model teams use, filters, pseudonymity, CSV safety."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from collections import Counter, defaultdict

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from evalsite.errors import ApplicationError
from ratings.models import Export, Judgment, JudgmentChoice, Leaderboard
from ratings.services import exports as ex
from ratings.tests.simulate import EXPECTED_RANKING, eager_celery, make_simulated_study  # noqa: F401 (fixture)
from tasks.models import Assignment, Comparison, Output, Rater
from tasks.tests.factories import StudyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def export_text(study, format, file_type="", **filters):
    parsed = ex.export_filters_parse(study=study, data=filters)
    return b"".join(ex.export_bytes(study=study, format=format, file_type=file_type, filters=parsed)).decode()


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line]


def expected_groups(study, *, criterion="overall"):
    """Votes per comparison computed independently of the export code, straight from the ORM objects."""
    votes = defaultdict(Counter)
    for ch in JudgmentChoice.objects.filter(study=study, criterion=criterion).select_related("judgment"):
        votes[ch.judgment.comparison_id][ch.choice] += 1
    return votes


@pytest.fixture
def sim():
    return make_simulated_study()


def test_judgments_jsonl_has_one_line_per_judgment_with_all_fields(sim):
    rows = jsonl(export_text(sim.study, "judgments"))
    assert len(rows) == Judgment.objects.filter(study=sim.study).count() == 300
    first = Judgment.objects.select_related("comparison__output_a__system", "assignment", "comparison__prompt").get(
        pk=rows[0]["judgment_id"]
    )
    row = rows[0]
    assert row["comparison_id"] == first.comparison.public_id
    assert row["prompt_id"] == first.comparison.prompt.external_id
    assert row["output_a"] == first.comparison.output_a.public_id
    assert row["system_a"] == first.comparison.output_a.system.name
    assert row["left_side"] == first.assignment.left_side
    assert row["kind"] == "regular"
    choice = first.choices.get()
    assert row["choices"] == {"overall": {"choice": choice.choice, "likert_a": choice.likert_a, "likert_b": 3}}
    assert row["seconds"] == first.seconds
    assert row["rater_flagged"] is False and row["rater_excluded"] is False
    assert row["created_at"].startswith(str(first.created_at.date()))
    assert "worker_id" not in row


def test_preferences_votes_and_majority_match_an_independent_count(sim):
    rows = jsonl(export_text(sim.study, "preferences"))
    expected = expected_groups(sim.study)
    decided = {cid: v for cid, v in expected.items() if v["a"] != v["b"]}
    assert len(rows) == len(decided) > 0
    by_public = {c.public_id: c for c in Comparison.objects.filter(study=sim.study).select_related("output_a__system")}
    for row in rows:
        comparison = by_public[row["comparison_id"]]
        v = decided[comparison.id]
        assert row["votes"] == {"a": v["a"], "b": v["b"], "tie": v["tie"], "both_bad": v["both_bad"]}
        assert row["agreement"] == pytest.approx(max(v.values()) / sum(v.values()), abs=1e-6)
        winner_side = "a" if v["a"] > v["b"] else "b"
        chosen = Output.objects.get(pk=getattr(comparison, f"output_{winner_side}_id"))
        assert row["chosen"] == chosen.text and row["chosen_system"] == chosen.system.name
        assert row["prompt"] == comparison.prompt.text
        assert row["criterion"] == "overall"


def test_preferences_load_with_the_datasets_json_loader(sim, tmp_path, monkeypatch):
    import datasets

    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    path = tmp_path / "preferences.jsonl"
    path.write_text(export_text(sim.study, "preferences"))
    ds = datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(tmp_path / "cache"))
    assert {"prompt", "chosen", "rejected", "chosen_system", "rejected_system", "votes", "agreement"} <= set(
        ds.column_names
    )
    assert ds.num_rows == len(path.read_text().splitlines())
    assert all(c != r for c, r in zip(ds["chosen"], ds["rejected"], strict=True))


def fastchat_style_mle(battles, scale=400, base=10, init=1000):
    """Independent BT fit the way FastChat's compute_mle_elo does it: duplicate the battles, split ties, fit a
    logistic regression (here scipy's L-BFGS on the logistic loss, no intercept, tiny L2)."""
    import pandas as pd
    from scipy.optimize import minimize
    from scipy.special import expit

    models = sorted(set(battles["model_a"]) | set(battles["model_b"]))
    idx = {m: i for i, m in enumerate(models)}
    df = battles.loc[:, ["model_a", "model_b", "winner"]]
    df = pd.concat([df, df])
    n = len(df)
    X = np.zeros((n, len(models)))
    X[np.arange(n), df["model_a"].map(idx).to_numpy()] = np.log(base)
    X[np.arange(n), df["model_b"].map(idx).to_numpy()] = -np.log(base)
    Y = (df["winner"] == "model_a").to_numpy().astype(float)
    tie = df["winner"].isin(["tie", "tie (bothbad)"]).to_numpy().copy()
    tie[n // 2 :] = False
    Y[tie] = 1.0

    def loss(w):
        z = X @ w
        p = expit(z)
        eps = 1e-12
        value = -np.sum(Y * np.log(p + eps) + (1 - Y) * np.log(1 - p + eps)) + 1e-6 * w @ w
        grad = X.T @ (p - Y) + 2e-6 * w
        return value, grad

    w = minimize(loss, np.zeros(len(models)), jac=True, method="L-BFGS-B").x
    return {m: scale * w[idx[m]] + init for m in models}


def test_battles_json_loads_in_pandas_and_fastchat_ratings_recover_the_simulated_ranking(sim, tmp_path):
    import pandas as pd

    path = tmp_path / "battles.json"
    path.write_text(export_text(sim.study, "battles"))
    battles = pd.read_json(path, orient="records")
    assert {"model_a", "model_b", "winner", "judge", "tstamp", "question_id", "anony"} <= set(battles.columns)
    assert set(battles["winner"]) <= {"model_a", "model_b", "tie", "tie (bothbad)"}
    assert len(battles) == JudgmentChoice.objects.filter(study=sim.study).count()
    ratings = fastchat_style_mle(battles)
    assert sorted(ratings, key=ratings.get, reverse=True) == EXPECTED_RANKING
    # The same ranking from the exported counts of "model_a" wins (a sanity check of the winner mapping).
    wins = Counter()
    for row in battles.itertuples():
        if row.winner == "model_a":
            wins[row.model_a] += 1
        elif row.winner == "model_b":
            wins[row.model_b] += 1
    assert wins.most_common(1)[0][0] == "alpha"


@pytest.mark.parametrize(
    ("format", "file_type"),
    [
        ("judgments", "jsonl"),
        ("judgments", "csv"),
        ("preferences", "jsonl"),
        ("preferences", "csv"),
        ("battles", "json"),
        ("battles", "csv"),
        ("leaderboard", "json"),
        ("leaderboard", "csv"),
    ],
)
def test_every_format_round_trips(sim, format, file_type):
    Leaderboard.objects.create(
        study=sim.study,
        criterion="overall",
        result={"systems": [{"system": "alpha", "score": 1100.0, "lower": 1050.0}, {"system": "delta", "score": 900}]},
        n_judgments=300,
        computed_at=timezone.now(),
    )
    text = export_text(sim.study, format, file_type)
    if file_type == "jsonl":
        rows = jsonl(text)
    elif file_type == "json":
        rows = json.loads(text)
    else:
        rows = list(csv.DictReader(io.StringIO(text)))
    expected = {
        "judgments": 300,
        "preferences": len([v for v in expected_groups(sim.study).values() if v["a"] != v["b"]]),
        "battles": 300,
        "leaderboard": 1 if file_type == "json" else 2,
    }[format]
    assert len(rows) == expected
    if format == "leaderboard" and file_type == "json":
        assert rows[0]["result"]["systems"][0] == {"system": "alpha", "score": 1100.0, "lower": 1050.0}
        assert rows[0]["criterion"] == "overall" and rows[0]["method"] == "bradley_terry"
    if format == "leaderboard" and file_type == "csv":
        assert [r["system"] for r in rows] == ["alpha", "delta"] and rows[0]["lower"] == "1050.0"
    if format == "judgments" and file_type == "csv":
        assert {"choice_overall", "likert_a_overall", "rater", "left_side"} <= set(rows[0])


def test_messages_replace_prompt_for_chat_prompts(sim):
    prompt = sim.comparisons[0].prompt
    prompt.messages = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    prompt.save()
    rows = [r for r in jsonl(export_text(sim.study, "preferences")) if r["prompt_id"] == prompt.external_id]
    assert rows and all(r["messages"] == prompt.messages for r in rows)


# ----------------------------------------------------------------------------------------- filters


def test_filter_criterion_and_tags(tmp_path):
    sim = make_simulated_study(criteria=["overall", "accuracy"], n_prompts=4, votes_per_comparison=3)
    rows = jsonl(export_text(sim.study, "judgments", criterion="accuracy"))
    assert rows and all(set(r["choices"]) == {"accuracy"} for r in rows)
    both = jsonl(export_text(sim.study, "judgments"))
    assert all(set(r["choices"]) == {"overall", "accuracy"} for r in both)
    prefs = jsonl(export_text(sim.study, "preferences", criterion="accuracy"))
    assert prefs and {r["criterion"] for r in prefs} == {"accuracy"}
    tagged = jsonl(export_text(sim.study, "judgments", tags="even"))
    assert tagged and {r["prompt_id"] for r in tagged} == {"p1", "p3"}
    with pytest.raises(ApplicationError) as err:
        ex.export_filters_parse(study=sim.study, data={"criterion": "nope"})
    assert err.value.extra["field"] == "criterion" and "nope" in err.value.message


def test_filter_date_range(sim):
    old = list(Judgment.objects.filter(study=sim.study).values_list("id", flat=True)[:40])
    Judgment.objects.filter(id__in=old).update(created_at=timezone.make_aware(dt.datetime(2025, 1, 15)))
    in_range = jsonl(export_text(sim.study, "judgments", since="2025-01-01", until="2025-01-15"))
    assert sorted(r["judgment_id"] for r in in_range) == sorted(old)
    after = jsonl(export_text(sim.study, "judgments", since="2025-01-16"))
    assert len(after) == 300 - 40
    with pytest.raises(ApplicationError) as err:
        ex.export_filters_parse(study=sim.study, data={"since": "yesterday"})
    assert err.value.extra["field"] == "since"
    with pytest.raises(ApplicationError):
        ex.export_filters_parse(study=sim.study, data={"since": "2025-02-01", "until": "2025-01-01"})


def test_filter_gold_repeat_flagged_excluded(sim):
    gold, repeat_origin = sim.comparisons[0], sim.comparisons[1]
    Comparison.objects.filter(pk=gold.pk).update(kind="gold")
    repeat = Comparison.objects.create(
        study=sim.study,
        prompt=repeat_origin.prompt,
        output_a=repeat_origin.output_b,
        output_b=repeat_origin.output_a,
        kind="repeat",
        repeat_of=repeat_origin,
    )
    Assignment.objects.filter(comparison=repeat_origin).update(comparison=repeat)
    Judgment.objects.filter(comparison=repeat_origin).update(comparison=repeat)
    all_rows = jsonl(export_text(sim.study, "judgments"))
    assert {r["kind"] for r in all_rows} == {"regular", "gold", "repeat"}
    no_gold = jsonl(export_text(sim.study, "judgments", exclude_gold=True, exclude_repeat="true"))
    assert {r["kind"] for r in no_gold} == {"regular"} and len(no_gold) == 300 - 10

    flagged, excluded = sim.raters[0], sim.raters[1]
    Rater.objects.filter(pk=flagged.pk).update(status="flagged")
    Rater.objects.filter(pk=excluded.pk).update(excluded=True)
    n_flagged = Judgment.objects.filter(rater=flagged).count()
    n_excluded = Judgment.objects.filter(rater=excluded).count()
    default = jsonl(export_text(sim.study, "judgments"))
    assert len(default) == 300 - n_excluded  # excluded raters are left out by default
    assert any(r["rater_flagged"] for r in default)
    with_excluded = jsonl(export_text(sim.study, "judgments", exclude_excluded=False))
    assert len(with_excluded) == 300 and sum(r["rater_excluded"] for r in with_excluded) == n_excluded
    clean = jsonl(export_text(sim.study, "judgments", exclude_flagged=True))
    assert len(clean) == 300 - n_flagged - n_excluded and not any(r["rater_flagged"] for r in clean)
    with pytest.raises(ApplicationError) as err:
        ex.export_filters_parse(study=sim.study, data={"exclude_gold": "maybe"})
    assert err.value.extra["field"] == "exclude_gold"


def test_filter_min_votes_min_agreement_drop_ties(sim):
    groups = expected_groups(sim.study)
    # Drop two votes from one comparison so it has 3 votes.
    short = sim.comparisons[2]
    Judgment.objects.filter(
        pk__in=list(Judgment.objects.filter(comparison=short).values_list("pk", flat=True)[:2])
    ).delete()
    groups = expected_groups(sim.study)
    prefs = jsonl(export_text(sim.study, "preferences", min_votes=5))
    assert short.public_id not in {r["comparison_id"] for r in prefs}
    assert all(sum(r["votes"].values()) >= 5 for r in prefs)

    strong = jsonl(export_text(sim.study, "preferences", min_agreement=0.8))
    expected_strong = {
        cid for cid, v in groups.items() if v["a"] != v["b"] and max(v.values()) / sum(v.values()) >= 0.8 - 1e-9
    }
    public = dict(Comparison.objects.filter(study=sim.study).values_list("public_id", "id"))
    assert {public[r["comparison_id"]] for r in strong} == expected_strong
    assert all(r["agreement"] >= 0.8 for r in strong)

    judged = jsonl(export_text(sim.study, "judgments", min_agreement=0.8))
    assert {public[r["comparison_id"]] for r in judged} == {
        cid for cid, v in groups.items() if max(v.values()) / sum(v.values()) >= 0.8 - 1e-9
    }

    battles = json.loads(export_text(sim.study, "battles", drop_ties=True))
    assert battles and all(b["winner"] in ("model_a", "model_b") for b in battles)
    no_tie_prefs = jsonl(export_text(sim.study, "preferences", drop_ties=True))
    assert all(
        max(r["votes"]["tie"], r["votes"]["both_bad"]) < max(r["votes"]["a"], r["votes"]["b"]) for r in no_tie_prefs
    )

    for bad, field in (
        ({"min_votes": "0"}, "min_votes"),
        ({"min_agreement": "1.5"}, "min_agreement"),
        ({"bogus": 1}, "bogus"),
    ):
        with pytest.raises(ApplicationError) as err:
            ex.export_filters_parse(study=sim.study, data=bad)
        assert err.value.extra["field"] == field


# ------------------------------------------------------------------------------------ pseudonymity


def test_rater_ids_are_pseudonymous_stable_per_study_and_differ_across_studies():
    one = make_simulated_study(n_prompts=2, votes_per_comparison=2, n_raters=3)
    two = make_simulated_study(n_prompts=2, votes_per_comparison=2, n_raters=3, seed=8)
    text_one = export_text(one.study, "judgments")
    for token in ("WORKER0000", "WORKER0001", "worker_id", "prolific"):
        assert token not in text_one
    ids_one = {r["rater"] for r in jsonl(text_one)}
    assert ids_one == {r["rater"] for r in jsonl(export_text(one.study, "judgments"))}  # stable
    assert len(ids_one) == 3
    battles = json.loads(export_text(one.study, "battles"))
    assert {b["judge"] for b in battles} == ids_one
    ids_two = {r["rater"] for r in jsonl(export_text(two.study, "judgments"))}
    # Same worker ids (WORKER0000..2) in both studies, different pseudonyms.
    assert ids_one.isdisjoint(ids_two)
    csv_text = export_text(one.study, "judgments", "csv")
    assert "WORKER000" not in csv_text

    one.study.export_worker_ids = True
    one.study.save()
    opted = jsonl(export_text(one.study, "judgments"))
    assert {r["worker_id"] for r in opted} == {"WORKER0000", "WORKER0001", "WORKER0002"}
    assert {r["rater"] for r in opted} == ids_one


# ----------------------------------------------------------------------------------- CSV injection


@pytest.mark.parametrize("payload", ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tcmd", "\rcmd"])
def test_csv_cells_are_safe_from_formula_injection(payload):
    sim = make_simulated_study(
        n_prompts=1, votes_per_comparison=3, n_raters=3, prompt_text=payload + "{i}", output_text=payload + "{system}"
    )
    Judgment.objects.filter(study=sim.study).update(rationale=payload)
    for format in ("judgments", "preferences", "battles"):
        text = export_text(sim.study, format, "csv")
        for row in csv.reader(io.StringIO(text, newline="")):
            for cell in row:
                assert not cell.startswith(ex.CSV_DANGEROUS_PREFIXES), (format, cell)
    rows = list(csv.DictReader(io.StringIO(export_text(sim.study, "preferences", "csv"), newline="")))
    assert rows and rows[0]["prompt"] == "'" + payload + "0"
    # JSON formats keep the exact text: injection is a spreadsheet problem.
    assert jsonl(export_text(sim.study, "judgments"))[0]["rationale"] == payload


def test_csv_safe_leaves_harmless_values_alone():
    assert ex.csv_safe("hello") == "hello"
    assert ex.csv_safe(-3) == -3
    assert ex.csv_safe("=1") == "'=1"


# ------------------------------------------------------------------------ images, jobs, command


def test_image_preferences_ship_as_zip_with_images(tmp_path, settings, django_capture_on_commit_callbacks):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    sim = make_simulated_study(n_prompts=2, votes_per_comparison=3, n_raters=3, modality="image")
    for o in Output.objects.filter(study=sim.study):
        name = default_storage.save(f"blind/{o.public_id}.png", ContentFile(b"\x89PNG fake " + o.public_id.encode()))
        Output.objects.filter(pk=o.pk).update(image=name, text="")
    with django_capture_on_commit_callbacks(execute=True):
        export = ex.export_create(study=sim.study, user=None, format="preferences")
    export.refresh_from_db()
    assert export.status == Export.Status.DONE and export.file.name.endswith(".jsonl.zip")
    with zipfile.ZipFile(export.file.path) as zf:
        names = set(zf.namelist())
        rows = jsonl(zf.read(f"{sim.study.slug}-preferences.jsonl").decode())
        assert rows
        for r in rows:
            assert r["chosen"] == f"images/{r['chosen_id']}.png" and r["chosen"] in names
            assert zf.read(r["chosen"]) == b"\x89PNG fake " + r["chosen_id"].encode()
    assert not ex.export_should_stream(study=sim.study, format="preferences", filters=ex.ExportFilters())


def test_export_job_is_idempotent_and_reports_progress(sim, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = ex.export_create(study=sim.study, user=None, format="judgments", filters={"criterion": "overall"})
    export.refresh_from_db()
    assert export.status == "done" and export.rows_done == export.rows_total == 300
    first_name = export.file.name
    again = ex.export_run(export_id=export.pk)
    assert again.file.name == first_name and again.status == "done"
    assert len(open(again.file.path).read().splitlines()) == 300


def test_export_job_records_failure():
    study = StudyFactory()
    export = Export.objects.create(study=study, format="judgments", filters={"criterion": "gone"})
    with pytest.raises(ApplicationError):
        ex.export_run(export_id=export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and "gone" in export.error


def test_management_command_exports_with_filters(sim, tmp_path):
    out = tmp_path / "prefs.jsonl"
    call_command("export_study", sim.study.slug, "--format", "preferences", "--out", str(out), "--min-agreement", "0.6")
    rows = jsonl(out.read_text())
    assert rows and all(r["agreement"] >= 0.6 for r in rows)
    out_csv = tmp_path / "battles.csv"
    call_command("export_study", sim.study.slug, "--format", "battles", "--out", str(out_csv))
    assert len(list(csv.DictReader(out_csv.open()))) == 300
    with pytest.raises(CommandError, match="min_votes"):
        call_command(
            "export_study",
            sim.study.slug,
            "--format",
            "judgments",
            "--out",
            str(tmp_path / "x.jsonl"),
            "--min-votes",
            "zero",
        )
    assert not (tmp_path / "x.jsonl").exists()
    with pytest.raises(CommandError, match="No study"):
        call_command("export_study", "nope", "--format", "judgments", "--out", str(tmp_path / "y.jsonl"))


def test_judgment_export_query_count_does_not_grow_with_rows(sim, django_assert_max_num_queries):
    filters = ex.export_filters_parse(study=sim.study, data={})
    with django_assert_max_num_queries(3):
        rows = list(ex.judgment_rows(study=sim.study, filters=filters))
    assert len(rows) == 300
    with django_assert_max_num_queries(4):
        prefs = list(ex.preference_rows(study=sim.study, filters=filters))
    assert prefs


def test_celery_job_runs_by_id_and_is_idempotent(sim, settings):
    from ratings import jobs

    export = Export.objects.create(study=sim.study, format="battles", file_type="json", filters={"drop_ties": True})
    assert jobs.export_run.delay(export.pk).get() == "done"
    export.refresh_from_db()
    first = (export.file.name, export.finished_at)
    assert jobs.export_run.delay(export.pk).get() == "done"
    export.refresh_from_db()
    assert (export.file.name, export.finished_at) == first  # the second run left the finished export alone
    battles = json.loads(open(export.file.path).read())
    assert battles and all("tie" not in b["winner"] for b in battles)
    assert jobs.export_run.acks_late and jobs.export_run.time_limit


def test_celery_job_reports_failure_without_raising():
    from ratings import jobs

    export = Export.objects.create(study=StudyFactory(), format="judgments", filters={"criterion": "gone"})
    assert jobs.export_run.delay(export.pk).get() == "failed"
    export.refresh_from_db()
    assert export.status == "failed" and "gone" in export.error and not export.file
