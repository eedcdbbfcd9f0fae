"""A chat: one tenant's conversation with one WhatsApp address (a contact or a group). Pure.

The one place that knows a chat's room key (``chat_rooms.chat_id``, ``<tenant>_<jid>``, the form an existing UI
reads) and whether a chat is a group. The key names exactly one tenant's chat because no WhatsApp address contains
``_`` (:mod:`chatbatch.domain.jids`). The address is kept as the gateway wrote it: WAHA's ``…@c.us`` and the
``…@s.whatsapp.net`` of the same number are two chats, as they are two addresses to send to.
"""

from __future__ import annotations

from dataclasses import dataclass

from chatbatch.domain import jids


@dataclass(frozen=True, slots=True)
class Chat:
    tenant: str  # the gateway's session (the schema's session_tok / user_token)
    jid: str  # the chat's address: the contact's, or the group's

    @property
    def room_key(self) -> str:
        """``chat_rooms.chat_id``: the room's key."""
        return f"{self.tenant}_{self.jid}"

    @property
    def is_group(self) -> bool:
        return jids.is_group(self.jid)
