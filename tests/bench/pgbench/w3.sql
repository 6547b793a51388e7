-- W3 ceiling: POST /api/users/query with a like filter, ordering, limit 20
-- and selectinload(orders) — the filtered SELECT, then the selectin
-- statement for the 20 users it returns.
-- Variables (pgbench -D): pattern (user1%), w3ids (the array literal of
-- those 20 ids; the pattern is fixed, so they are too: run computes them).
SELECT id, email, name, created_at FROM users WHERE email LIKE :pattern ORDER BY created_at DESC LIMIT 20;
SELECT id, user_id, total, status, version, created_at FROM orders WHERE user_id = ANY(:w3ids::uuid[]) ORDER BY created_at;
