from touchline import keys, warehouse


def test_migrations_are_idempotent(conn):
    assert warehouse.migrate(conn) == []
    tables = {
        r[0]
        for r in conn.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables"
            " WHERE table_schema IN ('raw', 'ops', 'core')"
        )
    }
    assert {"raw.events", "raw.rejected_events", "ops.api_keys", "core.events", "core.sessions"} <= tables


def test_key_is_stored_only_as_hash(conn):
    project_id, key = keys.create_key(conn, "Acme Shop", "test")
    assert project_id == "acme-shop"
    assert keys.KEY_RE.match(key)
    rows = conn.execute("SELECT key_prefix, key_hash FROM ops.api_keys WHERE project_id = %s", (project_id,)).fetchall()
    assert rows == [(key[: keys.PREFIX_LEN], keys.hash_key(key))]
    assert key not in str(conn.execute("SELECT row_to_json(k)::text FROM ops.api_keys k").fetchall())
    assert keys.revoke_key(conn, key[: keys.PREFIX_LEN]) == 1
    assert keys.revoke_key(conn, key[: keys.PREFIX_LEN]) == 0
