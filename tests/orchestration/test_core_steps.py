"""The core build's declared steps: every SQL step's header says what it reads, writes and creates, the
header is honest (the SQL touches nothing else), and every table a step reads is declared by a migration or
created by an earlier step of the run."""

import re
from pathlib import Path

import pytest

from orchestration.core import build
from orchestration.identity import aliases

ROOT = Path(build.__file__).resolve().parents[2]
MIGRATIONS = [
    *sorted((ROOT / "ingest_api" / "migrations").glob("*.sql")),
    *sorted((ROOT / "orchestration" / "migrations").glob("*.sql")),
]
# the whole run, in order: staging, the build's steps in its transaction, then profiles
RUN = [
    build.Step("stage_batch", params=("since", "full_refresh")),
    build.Step("empty_core", params=("watermark",)),
    *build.CORE_BUILD_STEPS,
    build.Step("profile_rules"),
    build.Step("build_profiles", params=("default_rule",)),
]
# words after FROM, JOIN, USING or UPDATE that are not tables (set: ON CONFLICT ... DO UPDATE SET)
KEYWORDS = {"select", "lateral", "only", "unnest", "jsonb_each", "regexp_matches", "set"}


def migration_tables() -> set[str]:
    tables: set[str] = set()
    for path in MIGRATIONS:
        text = path.read_text()
        for op, name in re.findall(
            r"(CREATE(?: UNLOGGED)? TABLE|DROP TABLE(?: IF EXISTS)?) ([a-z_]+\.[a-z_]+)", text, re.I
        ):
            (tables.add if op.upper().startswith("CREATE") else tables.discard)(name)
    return tables


def header(text: str) -> dict[str, set[str]]:
    """The `-- key: a, b` lines before the first blank comment line (continuation lines indented)."""
    out: dict[str, set[str]] = {}
    key = None
    for line in text.splitlines():
        if not line.startswith("--") or line.strip() == "--":
            break
        named = re.match(r"-- (step|query) (\w+)$", line)
        if named:
            out[named.group(1)] = {named.group(2)}
            key = None
            continue
        m = re.match(r"--\s*(reads|writes|creates|params|fragments):\s*(.*)", line)
        if m:
            key = m.group(1)
            out.setdefault(key, set())
            rest = m.group(2)
        elif key and re.match(r"--\s{2,}", line):
            rest = line[2:]
        else:
            continue
        out[key] |= {re.sub(r"\s*\(.*", "", v).strip() for v in rest.split(",") if v.strip()}
    return out


def touched_tables(text: str) -> tuple[set[str], set[str]]:
    """(tables read, tables written) by the SQL, CTE names and function calls left out. SQL keywords
    in any case (the SQL is lower case, .sqlfluff), names in lower case."""
    sql = re.sub(r"--[^\n]*", "", text)
    sql = re.sub(r"(extract\(\s*\w+|substring\([^()]*?)\s+FROM\b", r"\1,", sql, flags=re.I)  # FROM of functions
    sql = re.sub(r"DISTINCT FROM", "DISTINCT_FROM", sql, flags=re.I)
    ctes = set(re.findall(r"(\w+) AS (?:MATERIALIZED )?\(", sql, re.I))
    written = set(
        re.findall(
            r"\b(?:INSERT INTO|UPDATE|DELETE FROM|TRUNCATE)\s+([a-z_]+(?:\.[a-z_]+)?)(?![\w.])(?!\s*\()", sql, re.I
        )
    )
    written |= {
        t for group in re.findall(r"TRUNCATE\s+([a-z_., \n]+);", sql, re.I) for t in re.split(r"[,\s]+", group) if t
    }
    read = set(re.findall(r"\b(?:FROM|JOIN|USING)\s+([a-z_]+(?:\.[a-z_]+)?)(?![\w.])(?!\s*\()", sql, re.I))
    created = set(re.findall(r"CREATE TEMP TABLE (\w+)", sql, re.I))

    def clean(names: set[str]) -> set[str]:  # column references such as b.event_at are not tables
        return {
            n
            for n in names
            if n not in ctes
            and n not in KEYWORDS
            and n not in created
            and ("." not in n or n.split(".")[0] in ("core", "ops", "raw"))
        }

    return clean(read) - clean(written), clean(written)


def test_every_step_has_a_header_that_names_it():
    for step in RUN:
        if step.run is None:
            h = header((build.SQL_DIR / step.file).read_text())
            assert h.get("step") == {step.name}, step.file
            assert h.get("params", set()) == set(step.params), f"{step.file}: params of the header and the Step"


def test_headers_are_honest():
    for step in RUN:
        if step.run is not None:
            continue
        text = (build.SQL_DIR / step.file).read_text()
        h = header(text)
        read, written = touched_tables(text)
        declared = h.get("reads", set()) | h.get("writes", set()) | h.get("creates", set())
        assert read <= declared, f"{step.file} reads {sorted(read - declared)} without declaring them"
        assert written <= h.get("writes", set()) | h.get("creates", set()), (
            f"{step.file} writes {sorted(written - h.get('writes', set()))} without declaring them"
        )
        assert set(re.findall(r"CREATE TEMP TABLE (\w+)", text, re.I)) == h.get("creates", set()), step.file


def test_every_table_a_step_reads_is_provided_before_it():
    available = migration_tables()
    assert {"core.raw_batch", "core.run_users", "core.quarantined_events", "core.data_quality_daily"} <= available
    for step in RUN:
        if step.run is None:
            h = header((build.SQL_DIR / step.file).read_text())
        else:
            h = {"reads": set(step.reads), "writes": set(step.writes), "creates": set(step.creates)}
        missing = h.get("reads", set()) - available
        assert not missing, f"step {step.name} reads {sorted(missing)}: no migration or earlier step provides them"
        assert h.get("writes", set()) <= migration_tables(), f"step {step.name} writes a table no migration declares"
        available |= h.get("creates", set())


def test_the_check_catches_a_step_that_reads_what_nobody_provides():
    text = (
        "-- step x\n-- reads: core.events, nowhere_table\n--\nSELECT * FROM core.events JOIN nowhere_table USING (a);"
    )
    h = header(text)
    assert h["reads"] - migration_tables() == {"nowhere_table"}
    assert touched_tables(text)[0] == {"core.events", "nowhere_table"}
    # lower case, as the SQL files are written (.sqlfluff)
    assert touched_tables(text.lower()) == ({"core.events", "nowhere_table"}, set())
    assert touched_tables("-- step y\ninsert into core.events select * from batch_events;")[1] == {"core.events"}


@pytest.mark.parametrize("module", [aliases])
def test_python_steps_name_their_sql(module):
    for path in Path(module.__file__).with_name("sql").glob("*.sql"):
        assert re.match(r"-- (step|query) \w+", path.read_text()), path
