// A TCP proxy that delays every chunk by DELAY_MS in each direction: W6's
// "database a few milliseconds away" (tests/bench/README.md). Round trips
// through it take 2 x DELAY_MS more. Order within a connection is kept:
// each direction is a FIFO of timers with the same delay.
//
//   LISTEN_PORT=… TARGET_PORT=… DELAY_MS=1 node delay-proxy.js
'use strict';
const net = require('node:net');

const delay = Number(process.env.DELAY_MS || 1);
const target = { host: process.env.TARGET_HOST || '127.0.0.1', port: Number(process.env.TARGET_PORT) };

function pipe(from, to) {
  from.on('data', (chunk) => setTimeout(() => { if (!to.destroyed) to.write(chunk); }, delay));
  from.on('end', () => setTimeout(() => to.end(), delay));
  from.on('error', () => to.destroy());
}

net.createServer({ noDelay: true }, (client) => {
  const server = net.connect(target);
  server.setNoDelay(true);
  pipe(client, server);
  pipe(server, client);
  client.on('close', () => server.destroy());
  server.on('close', () => client.destroy());
}).listen(Number(process.env.LISTEN_PORT), '127.0.0.1');
