"""The definitions as data: every file has its header, dependencies exist and come first, bad files are
refused with a clear reason, and every definition transpiles to Spark SQL (the scale-out path)."""

from __future__ import annotations

import pytest
import sqlglot

from careloop.population.catalog import (
    COHORT_TABLE,
    GAPS_TABLE,
    Definition,
    DefinitionError,
    in_dependency_order,
    load_definitions,
    parse_definition,
)

GOOD = """-- name: x
-- title: X
-- kind: score
-- source: somewhere
-- version: 1
-- period: the as-of date
-- depends:
SELECT 1 AS one
"""


def test_every_definition_names_source_version_and_period() -> None:
    definitions = load_definitions()
    assert len(definitions) >= 20
    for d in definitions:
        assert d.source and d.version and d.period and d.title, d.name


def test_dependencies_run_first() -> None:
    seen: set[str] = set()
    measures = {d.name for d in load_definitions() if d.kind == "measure"}
    cohorts = {d.name for d in load_definitions() if d.kind == "cohort"}
    for d in load_definitions():
        for dep in d.depends:
            wanted = {GAPS_TABLE: measures, COHORT_TABLE: cohorts}.get(dep, {dep})
            assert wanted <= seen, f"{d.name} runs before {wanted - seen}"
        seen.add(d.name)


@pytest.mark.parametrize(("text", "reason"), [
    (GOOD.replace("-- version: 1\n", ""), "header lacks version"),
    (GOOD.replace("kind: score", "kind: guess"), "kind 'guess'"),
    (GOOD.replace("SELECT 1 AS one\n", ""), "no SQL"),
    (GOOD.replace("name: x", "name: y"), "differs from the file name"),
])
def test_bad_definition_is_refused_with_its_reason(text: str, reason: str) -> None:
    with pytest.raises(DefinitionError, match=reason):
        parse_definition(text, filename="x.sql")


def _definition(name: str, depends: tuple[str, ...]) -> Definition:
    return Definition(name, name, "score", "s", "1", "p", depends, "SELECT 1")


def test_unknown_dependency_and_cycle_are_refused() -> None:
    with pytest.raises(DefinitionError, match="depends on nowhere"):
        in_dependency_order([_definition("a", ("nowhere",))])
    with pytest.raises(DefinitionError, match="cycle"):
        in_dependency_order([_definition("a", ("b",)), _definition("b", ("a",))])


@pytest.mark.parametrize("definition", load_definitions(), ids=lambda d: d.name)
def test_definition_transpiles_to_spark_sql(definition: Definition) -> None:
    spark = sqlglot.transpile(definition.sql, read="duckdb", write="spark", comments=False,
                              unsupported_level=sqlglot.ErrorLevel.RAISE)
    assert len(spark) == 1 and spark[0].startswith(("SELECT", "WITH"))
