"""A custom import-linter contract (run by `make lint` through `lint-imports`): views and APIs never touch the ORM.

import-linter sees imports, not attribute access, so this contract reads the source of the modules it
covers: any `X.objects`, and any call of a queryset-building method (`filter`, `exclude`, `annotate`,
`values_list`, `select_related`, `order_by`, `all`, ...), is a broken contract (`values` is left out: dicts have
it too). Reads belong in selectors,
writes in services; a view or API calls them.
"""

from __future__ import annotations

import ast
import importlib.util
from dataclasses import dataclass

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain.helpers import module_expressions_to_modules

QUERYSET_METHODS = frozenset(
    {
        "filter",
        "exclude",
        "annotate",
        "aggregate",
        "values_list",
        "select_related",
        "prefetch_related",
        "order_by",
        "only",
        "defer",
        "raw",
        "extra",
        "all",
        "bulk_create",
        "bulk_update",
        "get_or_create",
        "update_or_create",
        "select_for_update",
    }
)


@dataclass(frozen=True)
class Touch:
    module: str
    line: int
    what: str


def orm_touches(module: str, source: str) -> list[Touch]:
    """Every `.objects` access and queryset-method call in one module's source."""
    touches = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr == "objects":
            touches.append(Touch(module, node.lineno, f"{ast.unparse(node)}"))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in QUERYSET_METHODS:
            touches.append(Touch(module, node.lineno, f".{node.func.attr}(...) on {ast.unparse(node.func.value)}"))
    return touches


class NoOrmContract(Contract):
    type_name = "no_orm"

    source_modules = fields.SetField(subfield=fields.ModuleExpressionField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        modules = module_expressions_to_modules(graph, self.source_modules, as_packages=True)  # type: ignore[arg-type]
        touches: list[Touch] = []
        for module in sorted(modules, key=lambda m: m.name):
            spec = importlib.util.find_spec(module.name)
            if spec is None or not spec.origin or not spec.origin.endswith(".py"):
                continue
            with open(spec.origin, encoding="utf-8") as fh:
                touches += orm_touches(module.name, fh.read())
        return ContractCheck(kept=not touches, metadata={"touches": touches})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for touch in check.metadata["touches"]:
            output.print_error(f"{touch.module}:{touch.line} touches the ORM: {touch.what}", bold=False)
            output.new_line()
        output.print("Move the query into a selector (reads) or a service (writes) and call that instead.")
