-- Signing outgoing mail (issue 16, items 7-8).
-- `dkim_keys`: one row per DKIM key made by `sluice dkim generate`. `algorithm`
-- is `rsa` (rsa-sha256) or `ed25519` (ed25519-sha256); `private_key` is the
-- PKCS#8 DER document; `active` (0/1) says whether outgoing mail of `domain` is
-- signed with it (the newest active key of each algorithm signs).
-- `batv_secrets`: the HMAC secret of each domain's BATV tags, made on first use
-- and shared by every node (a bounce may come back to any of them).
CREATE TABLE dkim_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    domain TEXT NOT NULL,
    selector TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    private_key BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    active INTEGER NOT NULL,
    UNIQUE (domain, selector)
);
CREATE TABLE batv_secrets (
    domain TEXT PRIMARY KEY,
    secret BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
