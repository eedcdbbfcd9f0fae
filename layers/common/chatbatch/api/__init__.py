"""The api function's HTTP surface: the webhook, health, and (later) the chat-history API."""
