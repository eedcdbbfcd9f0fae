-- API tokens of the chat-history API: each belongs to one session token (tenant). Only the SHA-256 digest
-- of a token is stored; the token itself is shown once, when it is created.

CREATE TABLE api_tokens (
    id            bigserial PRIMARY KEY,
    session_tok   text        NOT NULL CHECK (session_tok <> ''),
    token_hash    bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    label         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_used_at  timestamptz,                            -- refreshed at most once a minute
    revoked_at    timestamptz,
    CONSTRAINT api_tokens_token_hash_key UNIQUE (token_hash)
);
-- `chatbatch token list <session_tok>`.
CREATE INDEX api_tokens_session ON api_tokens (session_tok, id);
