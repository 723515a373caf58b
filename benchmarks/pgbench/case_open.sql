-- One application (submitApplication) as doudi runs it on PostgreSQL (authenticate, then
-- core.cases.store.open_case), statement for statement. Parameters as in case_step.sql, plus
-- hbase (this client's households are hbase + client_id * per + 1..per), odata and odoc.
\set hid :hbase + :client_id * :per + random(1, :per)
SELECT users.id, users.name, users.role, users.jurisdiction, api_tokens.scope FROM users JOIN api_tokens ON api_tokens.user_id = users.id WHERE api_tokens.token_hash = :tok AND api_tokens.revoked_at IS NULL AND users.active LIMIT 1;
BEGIN;
SELECT households.county FROM households WHERE households.id = :hid FOR UPDATE;
SELECT cases.id FROM cases WHERE cases.household_id = :hid AND cases.program = 'dibao' AND (cases.state NOT IN ('granted', 'rejected', 'exited')) LIMIT 1;
INSERT INTO cases (household_id, program, county, prefecture, province, state, version, data, created_at, updated_at) VALUES (:hid, 'dibao', '140302', '140300', '140000', 'exited', 1, :odata, now(), now()) RETURNING id AS newcase
\gset
SELECT audit_heads.seq AS headseq, audit_heads.hash AS headhash FROM audit_heads WHERE audit_heads.chain = :chain FOR UPDATE
\gset
INSERT INTO case_events (case_id, seq, at, user_id, action, from_state, to_state, document, prev_hash, hash, chain, chain_seq, chain_prev_hash, key_id) VALUES (:newcase, 1, now(), :uid, 'open', NULL, 'accepted', :odoc, '', :h, :chain, :headseq + 1, :headhash, 'benchmark0000000') RETURNING id;
UPDATE audit_heads SET seq = :headseq + 1, hash = :h WHERE audit_heads.chain = :chain;
COMMIT;
