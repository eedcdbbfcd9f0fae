"""``make chaos``: a seeded, bursty customer trace replayed through ``make dev`` while faults are injected — one
scenario at a time, then all together — and, after each, a table of what became of every bubble, burst and send.

trace.py: the customers (pure, seeded); peers.py: the loopback LLM, the loopback WAHA gateway that echoes every
send through the webhook ahead of its answer, and a TCP proxy in front of the local SQS that can be cut;
faults.py: the scenarios; report.py: the figures from Postgres and the gateway; runner.py: the whole run.
"""
