"""What counts as a WhatsApp address (a chat's or a sender's): the one rule every webhook route applies. Pure.

- A user JID: digits, an optional device suffix, and a user server — ``6281234567890@s.whatsapp.net`` (the phone
  number's JID), ``…@c.us`` (the same number as WAHA's WEBJS engine writes it), ``…@lid`` (WhatsApp's hidden
  user id), ``…@hosted`` / ``…@hosted.lid`` (Cloud-API-hosted business accounts seen from the WhatsApp Web side);
  e.g. ``6281234567890:12@s.whatsapp.net`` for one of the user's devices.
- A group JID: ``120363025246125486@g.us`` (old groups: ``<creator digits>-<seconds>@g.us``).
- A broadcast JID: ``status@broadcast`` (status updates) or ``<digits>@broadcast`` (a broadcast list), and a channel
  JID ``<digits>@newsletter``: valid addresses, but no conversation (the gateways' adapters ignore their messages).
- The WhatsApp Cloud API (Meta) names users without a server: the phone number as bare E.164 digits without the
  ``+`` (``6281234567890``), or, for a user who hides their number behind a username, the business-scoped user id
  (BSUID): a two-letter country code, an optional ``ENT`` (a parent BSUID), then up to 128 letters and digits
  (``US.13491208655302741918``, ``US.ENT.11815799212886844830``).

Anything else (``not-a-jid``, a name, an e-mail address) is not a WhatsApp address. None of these forms contains
``_``, which keeps a room's key ``<session_tok>_<jid>`` (chat_rooms.chat_id) unambiguous between tenants.
"""

from __future__ import annotations

import re

USER_SERVERS = ("s.whatsapp.net", "c.us", "lid", "hosted", "hosted.lid")
GROUP_SERVER = "g.us"
BROADCAST_SERVER = "broadcast"
NEWSLETTER_SERVER = "newsletter"
STATUS_BROADCAST = "status@broadcast"

# Digits are ASCII ([0-9], not \d, which Python reads as any script's digits).
_USER = re.compile(r"[0-9]{1,20}(?::[0-9]{1,4})?@(?:" + "|".join(re.escape(s) for s in USER_SERVERS) + r")")
_GROUP = re.compile(r"[0-9]{1,20}(?:-[0-9]{1,20})?@g\.us")
_BROADCAST = re.compile(r"(?:status|[0-9]{1,20})@broadcast")
_NEWSLETTER = re.compile(r"[0-9]{1,30}@newsletter")
_PHONE = re.compile(r"[0-9]{5,15}")  # E.164: at most 15 digits; the shortest real numbers have 5
_BSUID = re.compile(r"[A-Z]{2}\.(?:ENT\.)?[A-Za-z0-9]{1,128}")
_ANY = re.compile("|".join(f"(?:{form.pattern})" for form in (_PHONE, _USER, _GROUP, _BROADCAST, _NEWSLETTER, _BSUID)))
# The same rules as the OpenAPI document declares them (JSON Schema patterns search: anchored here).
ADDRESS_PATTERN = f"^(?:{_ANY.pattern})$"
GROUP_PATTERN = f"^(?:{_GROUP.pattern})$"

EXPECTED = (
    "a WhatsApp JID (6281234567890@s.whatsapp.net, …@c.us, …@lid, a group …@g.us) or a phone number / "
    "business-scoped user id of the Cloud API (6281234567890, US.13491208655302741918)"
)


def is_address(value: str) -> bool:
    """Is ``value`` a WhatsApp address (any of the forms above)?"""
    return _ANY.fullmatch(value) is not None


def address_problem(value: str) -> str | None:
    """Why ``value`` is not a WhatsApp address (None: it is one), worded for a gateway operator."""
    if is_address(value):
        return None
    if "_" in value:
        return "is not a WhatsApp JID: it contains '_'"
    return f"is not {EXPECTED}"


def is_group(jid: str) -> bool:
    return jid.endswith("@" + GROUP_SERVER)


def is_conversation(jid: str) -> bool:
    """A chat a customer can talk to the business in: not a status broadcast, broadcast list or channel."""
    return not (jid.endswith("@" + BROADCAST_SERVER) or jid.endswith("@" + NEWSLETTER_SERVER))
