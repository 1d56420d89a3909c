"""The owners' and model teams' command line: import, gold, launch, recompute, export, create_owner.

Each command calls the same service as the web, so it refuses the same input with the same messages,
names line and field, writes nothing on error and exits non-zero; long work draws a progress bar on
stderr only on a terminal or with --progress.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from evalsite.progress import Progress
from ratings.models import Leaderboard, RaterQuality
from ratings.tests.leaderboard_helpers import add_votes, comparison, make_study
from tasks.models import Comparison, Output, Study
from tasks.tests.design.conftest import jsonl, make_zip, png_with_metadata, text_rows
from tasks.tests.factories import StudyFactory, make_study_with_outputs

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, stdin: str = "") -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)  # not a terminal
    try:
        call_command(*args, stdout=out, stderr=err)
    finally:
        sys.stdin = old_stdin
    return out.getvalue(), err.getvalue()


@pytest.fixture
def draft(db) -> Study:
    return StudyFactory(status="draft", modality="text")


# ---------------------------------------------------------------- import_outputs


def test_import_outputs_imports_and_says_what_next(draft, tmp_path):
    path = tmp_path / "outputs.jsonl"
    path.write_bytes(jsonl(text_rows(3, ("alpha-one", "beta-two"))))
    out, err = run("import_outputs", draft.slug, str(path))
    assert "Imported 6 lines" in out and "3 new prompts, 2 new systems, 6 new outputs" in out
    assert f"Next: manage.py launch_study {draft.slug}" in out
    assert err == ""  # not a terminal and no --progress: no bar
    assert Output.objects.filter(study=draft).count() == 6


def test_import_outputs_errors_match_the_web_in_line_order_and_write_nothing(draft, tmp_path):
    rows = text_rows(2, ("alpha-one", "beta-two"))
    rows[0]["gold"] = {"vs": "nobody", "answer": "a"}
    rows[2]["colour"] = "red"
    rows[3]["output"] = ""
    path = tmp_path / "bad.jsonl"
    path.write_bytes(jsonl(rows))
    with pytest.raises(CommandError) as caught:
        run("import_outputs", draft.slug, str(path))
    text = str(caught.value)
    assert text.startswith("Import rejected: 3 error(s); nothing was imported.")
    lines = text.splitlines()[1:]
    assert lines[0].startswith("  line 1, field gold: gold.vs: no output of 'nobody'")
    assert lines[1].startswith("  line 3, field colour: Unknown field 'colour'") and lines[1].endswith(
        "[unknown_field]"
    )
    assert lines[2] == "  line 4, field output: The output text is missing or empty. [missing_output]"
    assert not Output.objects.filter(study=draft).exists()


def test_import_outputs_csv_images_and_progress(db, tmp_path):
    study = StudyFactory(status="draft", modality="image")
    (tmp_path / "o.csv").write_text(
        "prompt_id,prompt,system,image\np1,A fox,secret-sdxl-v2,a.png\np1,A fox,flux-dev,b.png\n"
    )
    (tmp_path / "i.zip").write_bytes(make_zip({"a.png": png_with_metadata(), "b.png": png_with_metadata((1, 2, 3))}))
    out, err = run(
        "import_outputs", study.slug, str(tmp_path / "o.csv"), "--images", str(tmp_path / "i.zip"), "--progress"
    )
    assert "2 images" in out
    assert "checking [" in err and "100% 2/2" in err  # forced bar, plain lines when not a terminal
    assert Output.objects.filter(study=study).exclude(image="").count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["nope", "x.jsonl"], "No study with slug 'nope'."),
        (["{slug}", "missing.jsonl"], "does not exist"),
        (["{slug}", "{tmp}"], "is not a file"),
    ],
)
def test_import_outputs_refuses_bad_arguments_clearly(draft, tmp_path, args, message):
    args = [a.format(slug=draft.slug, tmp=tmp_path) for a in args]
    with pytest.raises(CommandError, match=message):
        run("import_outputs", *args)


def test_import_outputs_into_a_live_study_is_refused_as_on_the_web(db, tmp_path):
    study = StudyFactory(status="live")
    (tmp_path / "o.jsonl").write_bytes(jsonl(text_rows(1)))
    with pytest.raises(CommandError, match=re.escape("Outputs can only be imported into a draft study.")):
        run("import_outputs", study.slug, str(tmp_path / "o.jsonl"))


# ---------------------------------------------------------------- import_gold


def test_import_gold_marks_pairs_and_lists_errors_by_line(db, tmp_path):
    study = make_study_with_outputs(n_systems=2, n_prompts=2, status="draft")
    good = tmp_path / "gold.jsonl"
    good.write_text(json.dumps({"prompt_id": "p0", "system_a": "sys-0", "system_b": "sys-1", "answer": "a"}) + "\n")
    out, _err = run("import_gold", study.slug, str(good))
    assert "1 gold pair(s) saved" in out and Comparison.objects.filter(study=study, kind="gold").count() == 1
    bad = tmp_path / "gold.csv"
    bad.write_text("prompt_id,system_a,system_b,answer\np1,sys-0,sys-9,a\np1,sys-0,sys-1,maybe\n")
    with pytest.raises(CommandError) as caught:
        run("import_gold", study.slug, str(bad))
    text = str(caught.value)
    assert "line 2, field system_b: no output of 'sys-9' for prompt 'p1'" in text
    assert "line 3, field answer: answer for 'overall' must be one of a, b, tie, both_bad" in text
    assert Comparison.objects.filter(study=study, kind="gold").count() == 1


# ---------------------------------------------------------------- launch_study


def test_launch_study_needs_confirmation_without_a_terminal(db):
    study = make_study_with_outputs(n_systems=3, n_prompts=2, status="draft", repeat_rate=0.5)
    out, _err = run("launch_study", study.slug, "--dry-run")
    assert "make 6 pairs from 2 prompts" in out and "add 3 repeated pairs" in out
    assert "How many pairs are shown to a rater twice, to check consistency: 50% of each rater's items" in out
    with pytest.raises(CommandError, match="Not launched: confirm with --yes"):
        run("launch_study", study.slug)
    study.refresh_from_db()
    assert study.status == "draft" and not Comparison.objects.filter(study=study).exists()
    out, _err = run("launch_study", study.slug, "--yes")
    assert "is live with 9 comparisons" in out
    study.refresh_from_db()
    assert study.status == "live"
    with pytest.raises(CommandError, match="is live: only a draft can be launched"):
        run("launch_study", study.slug, "--yes")


def test_launch_study_refuses_unreviewed_leaks_with_the_services_message(db):
    study = make_study_with_outputs(status="draft")
    Output.objects.filter(pk=Output.objects.filter(study=study).first().pk).update(leak_review="flagged")
    with pytest.raises(CommandError, match=r"1 output\(s\) are flagged for possible identity leaks"):
        run("launch_study", study.slug, "--yes")
    study.refresh_from_db()
    assert study.status == "draft"


# ---------------------------------------------------------------- recompute_study, export_study


def test_recompute_study_computes_leaderboards_and_quality(db):
    study = make_study(systems=["alpha", "beta", "gamma"])
    add_votes(comparison(study, "alpha", "beta"), {"a": 4, "b": 1})
    add_votes(comparison(study, "beta", "gamma"), {"a": 3, "tie": 1})
    out, err = run("recompute_study", study.slug, "--progress")
    assert "Leaderboards: 2 snapshots from 9 counted judgments" in out and "Rater quality: 9 raters measured" in out
    assert "leaderboards [" in err and "100% 2/2" in err
    assert Leaderboard.objects.filter(study=study).count() == 2
    assert RaterQuality.objects.filter(study=study).count() == 9
    Leaderboard.objects.all().delete()
    out, _err = run("recompute_study", study.slug, "--only", "quality")
    assert "Leaderboards" not in out and not Leaderboard.objects.exists()


def test_export_study_progress_goes_to_stderr_and_data_to_the_file(db, tmp_path):
    study = make_study(systems=["alpha", "beta"])
    add_votes(comparison(study, "alpha", "beta"), {"a": 3, "b": 2})
    target = tmp_path / "judgments.jsonl"
    _out, err = run("export_study", study.slug, "--format", "judgments", "--out", str(target), "--progress")
    assert "export judgments [" in err and "100% 5/5" in err and "wrote 5 rows" in err
    assert len(target.read_text().splitlines()) == 5
    with pytest.raises(CommandError, match="min_agreement"):
        run("export_study", study.slug, "--format", "preferences", "--out", str(target), "--min-agreement", "7")


# ---------------------------------------------------------------- the progress bar itself


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_draws_only_on_a_terminal_or_when_asked():
    quiet = io.StringIO()
    bar = Progress(quiet)
    bar(5, 10, "work")
    bar.finish("done")
    assert quiet.getvalue() == ""
    tick = iter(range(100))
    tty = Terminal()
    bar = Progress(tty, clock=lambda: next(tick))
    bar(5, 10, "work")
    bar(10, 10, "work")
    bar.finish()
    assert tty.getvalue().startswith("\rwork [") and " 50% 5/10" in tty.getvalue() and " 100% 10/10" in tty.getvalue()
    assert "\n" in tty.getvalue() and tty.getvalue().count("\n") == 1  # one line, redrawn in place
    log = io.StringIO()
    bar = Progress(log, force=True)
    bar(1, 1000, "rows")
    bar(2, 1000, "rows")  # too soon for another log line
    bar(1000, 1000, "rows")  # the end always shows
    assert log.getvalue().count("\n") == 2 and "\r" not in log.getvalue()


# ---------------------------------------------------------------- create_owner


def test_create_owner_without_a_terminal_fails_clearly_not_with_eoferror(db, monkeypatch):
    monkeypatch.delenv("EVALSITE_OWNER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="No password given and no terminal to ask on"):
        run("create_owner", "alice")
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="alice").exists()
    out, _err = run("create_owner", "alice", "--password-stdin", stdin="correct horse battery\n")
    user = get_user_model().objects.get(username="alice")
    assert "Owner 'alice' created." in out and user.check_password("correct horse battery")
    monkeypatch.setenv("EVALSITE_OWNER_PASSWORD", "from-the-environment")
    run("create_owner", "bob")
    assert get_user_model().objects.get(username="bob").check_password("from-the-environment")
    with pytest.raises(CommandError, match="password is empty"):
        run("create_owner", "carol", "--password-stdin", stdin="\n")


@pytest.mark.slow
def test_commands_exit_non_zero_without_a_traceback(tmp_path):
    """The real processes, as a script runs them: no terminal, exit status, messages, no traceback."""
    env = {**os.environ, "EVALSITE_VAR_DIR": str(tmp_path), "DATABASE_URL": ""}
    env.pop("EVALSITE_OWNER_PASSWORD", None)

    def manage(*args: str, stdin: str = "") -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            check=False,
            cwd=ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
        )

    assert manage("migrate", "-v", "0").returncode == 0
    no_terminal = manage("create_owner", "dana")
    assert no_terminal.returncode == 1 and "Traceback" not in no_terminal.stderr
    assert "--password-stdin" in no_terminal.stderr
    assert manage("create_owner", "dana", "--password-stdin", stdin="s3cret-pass\n").returncode == 0
    missing = manage("import_outputs", "no-such-study", "x.jsonl")
    assert missing.returncode == 1 and "No study with slug 'no-such-study'." in missing.stderr
    assert "Traceback" not in missing.stderr
    helps = {
        name: manage(name, "--help")
        for name in ("import_outputs", "import_gold", "launch_study", "recompute_study", "export_study", "create_owner")
    }
    for name, result in helps.items():
        assert result.returncode == 0 and "usage: manage.py " + name in result.stdout, name
    assert "--progress" in helps["import_outputs"].stdout and "--yes" in helps["launch_study"].stdout
