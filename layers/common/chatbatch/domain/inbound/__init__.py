"""Inbound gateway events: one pure parser per WhatsApp gateway, no I/O.

Each module reads its gateway's webhook (the JSON it POSTs) and returns what happened as typed events
(:mod:`.events`): a message (the same :class:`~chatbatch.domain.messages.IncomingMessage` the flat ``POST /webhook``
makes, checked by the same rules), a delivery receipt, a reaction, a revoked message, or an event we do not use.
The api layer authenticates the request first (:mod:`.signatures`), the services apply the events.

- :mod:`.waha` — WAHA (WhatsApp HTTP API): ``{"event", "session", "me", "payload"}``
- :mod:`.evolution` — Evolution API: ``{"event", "instance", "sender", "data"}``, Baileys messages
- :mod:`.meta` — the WhatsApp Cloud API (Meta): ``{"object", "entry": [{"changes": [{"value"}]}]}``, batched
- :mod:`.gowa` — go-whatsapp-web-multidevice: ``{"event", "device_id", "session_id"?, "payload"}``
- :mod:`.baileys` — the WhatsApp message proto as JSON (Evolution, WAHA's NOWEB engine, GOWA's locations)
- :mod:`.content` — what every gateway shares: media types, a location or a contact card as text
"""
