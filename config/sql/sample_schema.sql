-- Sample schema for config/retort.json (the users/orders models of SPEC.md §1).
-- Used by scripts/run on the local development cluster. Idempotent.
-- gen_random_uuid() is built into PostgreSQL 13+, no extension needed.
-- A later `retort schema create -c config/retort.json` generates the same DDL
-- from the models; keep the two in step until then.

CREATE TABLE IF NOT EXISTS users (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email      varchar(255) NOT NULL UNIQUE,
    name       varchar(100),
    created_at timestamptz DEFAULT now()
);

CREATE TABLE IF NOT EXISTS orders (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id),
    total      numeric(12, 2),
    status     varchar(50) DEFAULT 'pending'
               CHECK (status IN ('pending', 'paid', 'shipped', 'cancelled')),
    version    integer NOT NULL DEFAULT 1,
    created_at timestamptz DEFAULT now()
);

CREATE INDEX IF NOT EXISTS orders_user_id_idx ON orders (user_id);
