-- One case transition as doudi runs it on PostgreSQL (core.access.tokens.authenticate, then
-- core.cases.store.apply_transition), statement for statement: authentication and the read in
-- autocommit, then the write between BEGIN and COMMIT. Parameters (-D): tok (a token hash),
-- chain, uid, data and doc (a case's data and an event document as the benchmark wrote them),
-- h (a 64-hex hash), base and per (this client's cases are base + client_id * per + 1..per).
\set cid :base + :client_id * :per + random(1, :per)
SELECT users.id, users.name, users.role, users.jurisdiction, api_tokens.scope FROM users JOIN api_tokens ON api_tokens.user_id = users.id WHERE api_tokens.token_hash = :tok AND api_tokens.revoked_at IS NULL AND users.active LIMIT 1;
SELECT cases.id, cases.household_id, cases.program, cases.county, cases.state, cases.version AS version, cases.data, last.hash AS prev, CAST(last.document ->> 'on' AS VARCHAR) AS lastday FROM cases LEFT OUTER JOIN case_events AS last ON last.case_id = cases.id AND last.seq = cases.version WHERE cases.id = :cid
\gset
BEGIN;
WITH c AS (UPDATE cases SET state = 'active', version = :version + 1, data = :data, updated_at = now() WHERE id = :cid AND version = :version RETURNING id) SELECT (SELECT count(*) FROM c) AS written, h.seq AS headseq, h.hash AS headhash FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT seq, hash FROM audit_heads WHERE chain = :chain AND EXISTS (SELECT 1 FROM c) FOR UPDATE) AS h ON true
\gset
WITH h AS (UPDATE audit_heads SET seq = :headseq + 1, hash = :h WHERE chain = :chain) INSERT INTO case_events (case_id, seq, at, user_id, action, from_state, to_state, document, prev_hash, hash, chain, chain_seq, chain_prev_hash, key_id) VALUES (:cid, :version + 1, now(), :uid, 'record_review', 'active', 'active', :doc, :prev, :h, :chain, :headseq + 1, :headhash, 'benchmark0000000') RETURNING id;
COMMIT;
