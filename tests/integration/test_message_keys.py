"""WhatsApp's key inside a gateway's message id: the database's ``whatsapp_message_key`` (migration 0020: receipts
and held receipts match by it) and ``domain.sending.message_key`` (echoes match by it) are one rule."""

from __future__ import annotations

import pytest
from chatbatch.domain.sending import message_key
from chatbatch.store import chat_messages
from hypothesis import given, settings
from hypothesis import strategies as st

# The forms gateways give one message in, and ids that only look like them.
KNOWN = [
    ("true_11111111111@c.us_4CC5EDD64BC22EBA6D639F2AF571346C", "4CC5EDD64BC22EBA6D639F2AF571346C"),
    ("true_11111111111@g.us_4CC5EDD64BC22EBA6D639F2AF571346C_9999@lid", "4CC5EDD64BC22EBA6D639F2AF571346C"),
    ("false_6281@c.us_3EB0A2_out", "3EB0A2"),
    ("true_120363402106@lid_AAAA", "AAAA"),
    ("3EB00106E8BE0F407E88EC", "3EB00106E8BE0F407E88EC"),
    ("BAE5F0A1B2C3D4E5", "BAE5F0A1B2C3D4E5"),
    ("wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA=", "wamid.HBgNNjI4MTIzNDU2Nzg5MBUCABIYFjNFQjA="),
    ("maybe_6281@c.us_AAAA", "maybe_6281@c.us_AAAA"),  # not true/false: not WAHA's form
    ("true_6281_AAAA", "true_6281_AAAA"),  # no @ in the chat
    ("true_6281@c.us_", "true_6281@c.us_"),  # no key
    ("", ""),
]

id_parts = st.text(alphabet="ab1_@.-:", min_size=0, max_size=8)
ids = st.one_of(
    st.text(max_size=40).filter(lambda s: "\x00" not in s),
    st.builds(
        lambda own, a, b, c, d: f"{own}_{a}@{b}_{c}{d}",
        st.sampled_from(["true", "false", "True", "x"]),
        id_parts,
        id_parts,
        id_parts,
        id_parts,
    ),
)


@pytest.fixture(scope="module")
def db(database_url):
    import psycopg2

    conn = psycopg2.connect(database_url)
    conn.autocommit = True
    yield conn
    conn.close()


def sql_key(pg, message_id: str) -> str:
    with pg.cursor() as cur:
        cur.execute("SELECT whatsapp_message_key(%s)", (message_id,))
        return cur.fetchone()[0]


@pytest.mark.parametrize(("message_id", "key"), KNOWN)
def test_each_form_gives_whatsapps_key(db, message_id, key):
    assert message_key(message_id) == key
    assert sql_key(db, message_id) == key


@settings(max_examples=300, deadline=None)
@given(ids)
def test_the_database_and_the_domain_agree_on_every_id(db, message_id):
    assert sql_key(db, message_id) == message_key(message_id)


# --- the receipts' lookup (migration 0022: the key index holds WAHA's forms only) ---------------------------------


def carries_key(pg, message_id: str, named: str) -> tuple[bool, bool]:
    """Whether the history message ``message_id`` is the one a receipt naming ``named`` means: by the rule (their
    keys are equal) and by the lookup the receipts run (store/chat_messages.py, through both indexes)."""
    with pg.cursor() as cur:
        cur.execute(
            f"SELECT whatsapp_message_key(message_id) = whatsapp_message_key(%(named)s),"
            f"       {chat_messages._CARRIES_KEY}"
            "  FROM (SELECT %(message_id)s::text AS message_id) AS m",
            {"message_id": message_id, "named": named, "ids": [named]},
        )
        return cur.fetchone()


@pytest.mark.parametrize(("message_id", "key"), KNOWN)
def test_the_lookup_finds_a_message_by_each_of_its_forms_and_nothing_else(db, message_id, key):
    for named in {message_id, key, f"true_62811@c.us_{key}", f"false_62811@lid_{key}_1@lid", "3EB0OTHER"}:
        by_rule, by_lookup = carries_key(db, message_id, named)
        assert by_lookup == by_rule, (message_id, named)


@settings(max_examples=300, deadline=None)
@given(ids, ids)
def test_the_lookup_and_the_rule_agree_on_every_pair_of_ids(db, message_id, named):
    by_rule, by_lookup = carries_key(db, message_id, named)
    assert by_lookup == by_rule


def test_only_wahas_forms_take_an_entry_in_the_key_index_and_receipts_use_both_indexes(db):
    """The expression index is partial (a flat, Meta, Evolution or GOWA id costs its write nothing there), and a
    receipt's lookup reaches every message through an index, never a scan of the tenant's history."""
    with db.cursor() as cur:
        cur.execute("SELECT pg_get_indexdef('chat_messages_tenant_key'::regclass)")
        assert "WHERE" in cur.fetchone()[0]
        cur.execute("BEGIN")
        try:
            # A tenant with a long history (rolled back with its statistics): the plan a busy tenant's receipts get.
            cur.execute(
                "INSERT INTO chat_messages (message_id, chat_room_id, chat_id, user_token, sender_jid, sender_type,"
                "                           message_type, content, status, message_timestamp)"
                " SELECT CASE WHEN n % 3 = 0 THEN 'true_62811@c.us_3EB0' || n ELSE '3EB0' || n END, 1, 'c', 't',"
                "        '62811@s.whatsapp.net', 'contact', 'text', 'hi', 'received', now()"
                "   FROM generate_series(1, 20000) AS n"
            )
            cur.execute("ANALYZE chat_messages")
            cur.execute(
                f"EXPLAIN SELECT 1 FROM chat_messages WHERE user_token = %(tenant)s AND {chat_messages._CARRIES_KEY}",
                {"tenant": "t", "ids": ["true_62811@c.us_3EB0AA", "wamid.X"]},
            )
            plan = "\n".join(row[0] for row in cur.fetchall())
        finally:
            cur.execute("ROLLBACK")
    assert "chat_messages_tenant_key" in plan and "chat_messages_tenant_message_key" in plan, plan
    assert "Seq Scan" not in plan, plan
