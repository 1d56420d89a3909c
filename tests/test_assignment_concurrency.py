"""PostgreSQL: 32 raters asking and answering at once never push a Comparison past its redundancy.

Each thread has its own database connection (closed at thread end). Some leases
are abandoned, then expired by the sweep, and the work they held returns to the pool.
"""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.db.models import Count
from django.utils import timezone

from ratings.models import Judgment
from ratings.services.judgments import judgment_submit
from tasks.models import Assignment, Comparison, Rater
from tasks.services.assignment import assignment_next, assignments_expire
from tasks.tests.factories import RaterFactory, make_study_with_outputs

N_THREADS = 32
REDUNDANCY = 3
N_ABANDONED = 8


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_raters(raters: list[Rater]) -> tuple[int, list[BaseException]]:
    """Every rater in its own thread: lease, answer, repeat until the engine has nothing left for them."""
    barrier = threading.Barrier(len(raters))
    submitted = [0] * len(raters)
    errors: list[BaseException] = []

    def work(i: int, rater: Rater) -> None:
        try:
            barrier.wait()
            while (assignment := assignment_next(rater=rater)) is not None:
                result = judgment_submit(
                    rater=rater, assignment_public_id=assignment.public_id, choices={"overall": "left"}
                )
                submitted[i] += int(result.created)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, r)) for i, r in enumerate(raters)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return sum(submitted), errors


@pytest.mark.postgres
def test_concurrent_raters_fill_every_comparison_exactly(postgres_db):
    study = make_study_with_outputs(n_systems=4, n_prompts=6, redundancy=REDUNDANCY, min_seconds=0)
    for prompt in study.prompts.all():
        outs = list(prompt.outputs.order_by("system__name"))
        for i in range(len(outs)):
            for j in range(i + 1, len(outs)):
                Comparison.objects.create(study=study, prompt=prompt, output_a=outs[i], output_b=outs[j])
    n_comparisons = Comparison.objects.filter(study=study).count()
    assert n_comparisons == 36

    # Raters who lease one item each and walk away.
    quitters = RaterFactory.create_batch(N_ABANDONED, study=study)
    abandoned = [assignment_next(rater=r) for r in quitters]
    assert all(a is not None for a in abandoned)

    raters = RaterFactory.create_batch(N_THREADS, study=study)
    done_first, errors = run_raters(raters)
    assert errors == []
    # The abandoned leases still hold their slots: nothing exceeds redundancy, the held slots stay open.
    assert done_first == n_comparisons * REDUNDANCY - N_ABANDONED
    assert not Comparison.objects.filter(study=study, judgment_count__gt=REDUNDANCY).exists()

    # The leases expire; the sweep returns them; the raters come back and finish the work.
    past = timezone.now() - dt.timedelta(hours=1)
    Assignment.objects.filter(pk__in=[a.pk for a in abandoned]).update(
        leased_at=past - dt.timedelta(minutes=15), expires_at=past
    )
    assert assignments_expire() == N_ABANDONED
    done_second, errors = run_raters(raters)
    assert errors == []
    assert done_second == N_ABANDONED

    # Every comparison has exactly its redundancy; counters agree with the rows; no judgment lost.
    counts = dict(Judgment.objects.values_list("comparison").annotate(n=Count("pk")))
    for comparison in Comparison.objects.filter(study=study):
        assert comparison.judgment_count == REDUNDANCY
        assert counts[comparison.pk] == REDUNDANCY
    assert Judgment.objects.count() == done_first + done_second == n_comparisons * REDUNDANCY
    # No rater judged anything twice.
    pairs = Judgment.objects.values_list("rater_id", "comparison_id")
    assert len(set(pairs)) == pairs.count()
    # Abandoned leases are expired (never submitted), and no lease is left hanging.
    assert set(Assignment.objects.filter(pk__in=[a.pk for a in abandoned]).values_list("status", flat=True)) == {
        "expired"
    }
    assert not Assignment.objects.filter(status="leased").exists()
    # An expired lease cannot be submitted later.
    from evalsite.errors import ApplicationError

    with pytest.raises(ApplicationError) as exc:
        judgment_submit(rater=quitters[0], assignment_public_id=abandoned[0].public_id, choices={"overall": "left"})
    assert exc.value.code == "lease_expired"


@pytest.mark.postgres
def test_simultaneous_resubmits_store_one_judgment(postgres_db):
    """A double click / retry storm on one assignment: one Judgment, one count, the same answer for all."""
    study = make_study_with_outputs(n_systems=2, n_prompts=1, redundancy=3, min_seconds=0)
    prompt = study.prompts.get()
    a, b = prompt.outputs.order_by("pk")
    Comparison.objects.create(study=study, prompt=prompt, output_a=a, output_b=b)
    rater = RaterFactory(study=study)
    assignment = assignment_next(rater=rater)
    n = 8
    barrier = threading.Barrier(n)
    results: list[int] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            barrier.wait()
            r = judgment_submit(rater=rater, assignment_public_id=assignment.public_id, choices={"overall": "left"})
            results.append(r.judgment.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert len(results) == n and len(set(results)) == 1
    assert Judgment.objects.count() == 1
    assert Comparison.objects.get().judgment_count == 1
