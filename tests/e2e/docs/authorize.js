// Drives /docs in headless Chromium the way a person would: opens the
// page, clicks Authorize, types a credential into the dialog, presses
// "Try it out" and "Execute" on a protected operation, and reads the
// status Swagger UI shows. The browser is driven over the DevTools
// protocol on a pipe (--remote-debugging-pipe: NUL-separated JSON on file
// descriptors 3 and 4), so no npm package is needed.
//
//   node authorize.js CHROMIUM BASE_URL PATH CREDENTIAL_KIND CREDENTIAL PROFILE_DIR
//
// CREDENTIAL_KIND is none, apiKeyAuth or bearerAuth; a CREDENTIAL of
// jwt:ROLE is an HS256 token for ROLE signed here with the secret in
// $RETORT_TEST_JWT_SECRET (valid for ten minutes). Prints one JSON line
// {"status": "200", "curl": "..."} and exits 0, or exits 1 saying which
// step failed.
'use strict';
const { spawn } = require('child_process');
const crypto = require('crypto');

const [chromium, base, apiPath, kind, given, profile] = process.argv.slice(2);

function jwt(role) {
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const head = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ role, iat: now, exp: now + 600 })}`;
    const sig = crypto.createHmac('sha256', process.env.RETORT_TEST_JWT_SECRET || '')
        .update(head).digest('base64url');
    return `${head}.${sig}`;
}
const credential = given.startsWith('jwt:') ? jwt(given.slice(4)) : given;
const STEP_MS = 20000;

function fail(msg) {
    process.stderr.write(`authorize.js: ${msg}\n`);
    process.exit(1);
}

const browser = spawn(chromium, [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--disable-dev-shm-usage', '--disable-extensions', `--user-data-dir=${profile}`,
    // Every host but the server is unresolvable: nothing from the internet.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    '--remote-debugging-pipe', 'about:blank',
], { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
let stderr = '';
browser.stderr.on('data', (d) => { stderr += d; });
browser.on('exit', (code) => { if (!done) fail(`chromium exited ${code}: ${stderr.slice(-2000)}`); });
const toBrowser = browser.stdio[3];
const fromBrowser = browser.stdio[4];
let done = false;

let nextId = 1;
const pending = new Map();
let buffered = '';
fromBrowser.on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    let end;
    while ((end = buffered.indexOf('\0')) >= 0) {
        const msg = JSON.parse(buffered.slice(0, end));
        buffered = buffered.slice(end + 1);
        if (msg.id && pending.has(msg.id)) {
            const { resolve, reject } = pending.get(msg.id);
            pending.delete(msg.id);
            if (msg.error) reject(new Error(JSON.stringify(msg.error)));
            else resolve(msg.result);
        }
    }
});

function send(method, params = {}, sessionId) {
    const id = nextId++;
    const msg = { id, method, params };
    if (sessionId) msg.sessionId = sessionId;
    toBrowser.write(JSON.stringify(msg) + '\0');
    return new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
    const doc = await (await fetch(`${base}/openapi.json`)).json();
    const op = doc.paths[apiPath] && doc.paths[apiPath].get;
    if (!op) fail(`the document has no GET ${apiPath}`);
    const tag = op.tags[0];
    const opId = op.operationId;

    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const s = sessionId;
    await send('Runtime.enable', {}, s);
    await send('Page.enable', {}, s);

    async function evaluate(expression) {
        const r = await send('Runtime.evaluate',
            { expression, returnByValue: true, awaitPromise: true }, s);
        if (r.exceptionDetails) throw new Error(`${expression}: ${JSON.stringify(r.exceptionDetails)}`);
        return r.result.value;
    }
    async function waitFor(what, expression) {
        const deadline = Date.now() + STEP_MS;
        while (Date.now() < deadline) {
            const v = await evaluate(expression);
            if (v) return v;
            await sleep(100);
        }
        const body = await evaluate('document.body ? document.body.innerText.slice(0, 1500) : ""');
        fail(`timed out waiting for ${what}; the page says:\n${body}`);
    }
    async function click(what, selector) {
        await waitFor(what, `!!document.querySelector(${JSON.stringify(selector)})`);
        await evaluate(`document.querySelector(${JSON.stringify(selector)}).click(), true`);
    }

    // The operation, expanded by its deep link.
    await send('Page.navigate', { url: `${base}/docs#/${tag}/${opId}` }, s);
    const block = `#operations-${tag}-${opId}`;
    await waitFor('the operation', `!!document.querySelector('${block}.is-open')`);

    if (kind !== 'none') {
        await click('the Authorize button', 'button.btn.authorize');
        // The dialog: one form per security scheme, named in its heading.
        const form = `[...document.querySelectorAll('.auth-container')]` +
            `.find((c) => (c.querySelector('h4') || {}).textContent.includes(${JSON.stringify(kind)}))`;
        await waitFor(`the ${kind} form`, `!!(${form})`);
        await evaluate(`(${form}).querySelector('input').focus(), true`);
        await send('Input.insertText', { text: credential }, s); // typed, as a person would
        await evaluate(`(${form}).querySelector('button.authorize').click(), true`);
        await waitFor('the scheme to be authorized',
            `!!((${form}).querySelector('button[aria-label="Remove authorization"]'))`);
        await click('the close button', 'button.btn-done, button.close-modal');
        await waitFor('the dialog to close', `!document.querySelector('.dialog-ux')`);
    }

    await click('Try it out', `${block} button.try-out__btn`);
    await click('Execute', `${block} button.execute`);
    const status = await waitFor('the response',
        `(() => { const c = document.querySelector('${block} .live-responses-table tbody .response-col_status');` +
        ` return c ? c.textContent.trim() : ''; })()`);
    const curl = await evaluate(
        `(() => { const c = document.querySelector('${block} .curl-command'); return c ? c.innerText : ''; })()`);
    done = true;
    process.stdout.write(JSON.stringify({ status: status.split(/\s/)[0], curl }) + '\n');
    browser.kill('SIGKILL');
    process.exit(0);
}

const timer = setTimeout(() => fail('the whole run took over 90 s'), 90000);
timer.unref();
main().catch((e) => fail(e.stack || String(e)));
