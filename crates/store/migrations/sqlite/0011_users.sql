-- People who log in to the web interface (and, later, SMTP submission): a
-- mailbox user's name is its address. `role` is admin, domain-admin or user;
-- `domains` (a JSON array of names) is what a domain admin may see. The password
-- is an argon2id PHC string, never the password itself. Times: ms since epoch.
CREATE TABLE users (
    name TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    domains TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Web sessions (tower-sessions records, as JSON), shared by every node so a
-- load balancer may send a browser to any of them. Expired rows are deleted when
-- read and whenever a session is created.
CREATE TABLE web_sessions (
    id TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX web_sessions_expires_at ON web_sessions (expires_at);
