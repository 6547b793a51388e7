// The hand-written reference for tests/bench: the five workloads of
// tests/bench/README.md as a plain Node service (node:http + pg, one
// cluster worker per NODE_WORKERS, default 2), the way a developer would
// write them by hand: named prepared statements, one pg.Pool per worker,
// no framework. It answers the same JSON shapes retort does closely enough
// for the load to be the same; it validates only what it must to not
// crash.
//
//   DATABASE_URL=postgresql://... PORT=8090 node server.js
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');

const WORKERS = Number(process.env.NODE_WORKERS || 2);
const PORT = Number(process.env.PORT || 8090);

if (cluster.isPrimary) {
  for (let i = 0; i < WORKERS; i++) cluster.fork();
  cluster.on('exit', (w, code) => { if (code) console.error(`worker ${w.process.pid} exited ${code}`); });
  process.on('SIGTERM', () => { for (const id in cluster.workers) cluster.workers[id].kill(); process.exit(0); });
  return;
}

const { Pool } = require('pg');
const pool = new Pool({ connectionString: process.env.DATABASE_URL,
                        max: Number(process.env.NODE_POOL_SIZE || 10) });

const USER_COLS = 'id, email, name, created_at';
const ORDER_COLS = 'id, user_id, total, status, version, created_at';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function send(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': status < 400 ? 'application/json' : 'application/problem+json',
                          'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function fail(res, err) {
  const status = err.code === '23505' ? 409 : err.code && err.code.startsWith('23') ? 422
               : err.status || 500;
  send(res, status, { type: 'about:blank', title: 'error', status });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); }
      catch (e) { e.status = 400; reject(e); }
    });
    req.on('error', reject);
  });
}

async function ordersOf(ids) {
  const r = await pool.query({ name: 'orders_of', values: [ids],
    text: `SELECT ${ORDER_COLS} FROM orders WHERE user_id = ANY($1::uuid[]) ORDER BY created_at, id` });
  const by = new Map();
  for (const o of r.rows) {
    if (!by.has(o.user_id)) by.set(o.user_id, []);
    by.get(o.user_id).push(o);
  }
  return by;
}

async function getUser(res, id, include) {
  if (!UUID.test(id)) return send(res, 404, { status: 404 });
  const r = await pool.query({ name: 'user_by_id', values: [id],
    text: `SELECT ${USER_COLS} FROM users WHERE id = $1` });
  if (!r.rows.length) return send(res, 404, { status: 404 });
  const user = r.rows[0];
  if (include) user.orders = (await ordersOf([id])).get(id) || [];
  send(res, 200, user);
}

async function queryUsers(res, doc) {
  const like = doc && doc.where && doc.where.email && doc.where.email.like;
  const limit = Math.min(Number(doc && doc.limit) || 100, 1000);
  if (typeof like !== 'string') return send(res, 422, { status: 422 });
  const r = await pool.query({ name: 'users_like', values: [like, limit],
    text: `SELECT ${USER_COLS} FROM users WHERE email LIKE $1 ORDER BY created_at DESC, id LIMIT $2` });
  const by = r.rows.length ? await ordersOf(r.rows.map((u) => u.id)) : new Map();
  for (const u of r.rows) u.orders = by.get(u.id) || [];
  send(res, 200, { data: r.rows });
}

async function createUser(res, doc) {
  if (!doc || typeof doc.email !== 'string') return send(res, 422, { status: 422 });
  const r = await pool.query({ name: 'user_insert', values: [doc.email, doc.name ?? null],
    text: `INSERT INTO users (email, name) VALUES ($1, $2) RETURNING ${USER_COLS}` });
  res.setHeader('Location', `/api/users/${r.rows[0].id}`);
  send(res, 201, r.rows[0]);
}

async function bulkOrders(res, rows) {
  if (!Array.isArray(rows) || rows.length === 0 || rows.length > 5000)
    return send(res, 422, { status: 422 });
  const values = [];
  const tuples = [];
  for (const o of rows) {
    const n = values.length;
    values.push(o.user_id, o.total ?? null, o.status ?? 'pending', o.version ?? 1);
    tuples.push(`($${n + 1}, $${n + 2}, $${n + 3}, $${n + 4})`);
  }
  await pool.query({ values,
    text: `INSERT INTO orders (user_id, total, status, version) VALUES ${tuples.join(', ')}` });
  send(res, 201, { inserted: rows.length });
}

async function route(req, res) {
  const url = new URL(req.url, 'http://x');
  const parts = url.pathname.split('/').filter(Boolean);
  if (req.method === 'GET' && url.pathname === '/health') return send(res, 200, { status: 'ok' });
  if (parts[0] !== 'api') return send(res, 404, { status: 404 });
  if (req.method === 'GET' && parts.length === 3 && parts[1] === 'users')
    return getUser(res, parts[2], url.searchParams.get('include') === 'orders');
  if (req.method === 'POST' && parts.length === 3 && parts[1] === 'users' && parts[2] === 'query')
    return queryUsers(res, await readBody(req));
  if (req.method === 'POST' && parts.length === 2 && parts[1] === 'users')
    return createUser(res, await readBody(req));
  if (req.method === 'POST' && parts.length === 3 && parts[1] === 'orders' && parts[2] === 'bulk')
    return bulkOrders(res, await readBody(req));
  send(res, 404, { status: 404 });
}

http.createServer((req, res) => { route(req, res).catch((e) => fail(res, e)); })
  .listen(PORT, '127.0.0.1');
