"""The custom import-linter contract that keeps the ORM out of views and APIs sees what it must, and only that."""

from __future__ import annotations

from tests.lint_contracts import orm_touches


def test_objects_and_queryset_calls_are_touches():
    source = (
        "from tasks.models import Study\n"
        "def view(request, study):\n"
        "    a = Study.objects.get(pk=1)\n"
        "    b = study.comparisons.filter(kind='gold').order_by('id')\n"
        "    c = study.prompts.all()\n"
        "    return a, b, c\n"
    )
    found = [(t.line, t.what) for t in orm_touches("m", source)]
    assert (3, "Study.objects") in found
    assert (4, ".filter(...) on study.comparisons") in found
    assert (4, ".order_by(...) on study.comparisons.filter(kind='gold')") in found
    assert (5, ".all(...) on study.prompts") in found


def test_calling_selectors_and_services_is_not_a_touch():
    source = (
        "from tasks.selectors.studies import study_for_owner\n"
        "def view(request, slug):\n"
        "    study = study_for_owner(user=request.user, slug=slug)\n"
        "    context = {'study': study}\n"
        "    context.update(rows=list(context.values()))\n"
        "    return context\n"
    )
    assert orm_touches("m", source) == []
