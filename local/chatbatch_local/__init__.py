"""Local tooling (not shipped to Lambda): a Postgres cluster of our own, an API Gateway emulator, the dev stack."""
