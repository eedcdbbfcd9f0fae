"""chatbatch: the shared package of the WhatsApp AI support bot's Lambda functions.

Layers point down: ``api``/handlers -> ``services`` (use cases) -> ``store`` (SQL, one module per table)
and ``domain`` (pure rules, no I/O). ``adapters`` talk to the outside world (queue, LLM, gateway).
"""
