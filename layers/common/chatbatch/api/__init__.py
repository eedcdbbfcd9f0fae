"""The api function's HTTP surface: the webhooks (front.py answers them on their own), health, the chat-history API
and the operator console (resolver.py). Importing the package imports nothing else: the front stays cheap."""
