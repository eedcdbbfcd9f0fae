"""WhatsApp's key inside a gateway's message id: the database's ``whatsapp_message_key`` (migration 0020: receipts
and held receipts match by it) and ``domain.sending.message_key`` (echoes match by it) are one rule."""

from __future__ import annotations

import pytest
from chatbatch.domain.sending import message_key
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
