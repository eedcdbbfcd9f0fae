"""A sent message's delivery status only moves forward: sent -> delivered -> read; failed only after sent."""

import pytest
from chatbatch.domain.delivery import DeliveryStatus, moves, statuses_before

S = DeliveryStatus


@pytest.mark.parametrize(
    "current, receipt, expected",
    [
        ("sent", S.DELIVERED, True),
        ("sent", S.READ, True),
        ("delivered", S.READ, True),
        ("sent", S.FAILED, True),
        ("delivered", S.DELIVERED, False),
        ("read", S.DELIVERED, False),
        ("read", S.READ, False),
        ("read", S.SENT, False),
        ("delivered", S.SENT, False),
        ("sent", S.SENT, False),
        ("delivered", S.FAILED, False),  # the phone confirmed it: it did not fail
        ("read", S.FAILED, False),
        ("failed", S.DELIVERED, False),  # failed stays failed, with its reason
        ("failed", S.READ, False),
        ("received", S.READ, False),  # a customer's message has no delivery status
        ("received", S.DELIVERED, False),
    ],
)
def test_a_receipt_moves_a_message_only_forward(current, receipt, expected):
    assert moves(current, receipt) is expected


def test_the_order_is_a_chain():
    order = [S.SENT, S.DELIVERED, S.READ]
    for i, status in enumerate(order):
        assert set(statuses_before(status)) == {s.value for s in order[:i]}
