// Stateful load generator for bench/run.sh flows: refresh-token rotation, the browserless
// authorization code flow (authorize with an existing session → code → token with PKCE), and
// what resource servers call on every request: token introspection and userinfo.
//
//   node bench/node/flows.mjs --name NAME --discovery URL --op refresh|code-flow|introspect|userinfo [options]
//
// Options (all "--key value"):
//   --discovery URL        the target's /.well-known/openid-configuration (authorization and
//                          token endpoints are read from it; they must share its origin).
//                          Several instances of one server over one database: URL,URL,... (same
//                          endpoint paths on each origin); sign-in and set-up use the first
//   --spread request|chain with several instances: `request` (default) sends each chain's
//                          successive requests to the instances in turn (chain i starts on
//                          instance i mod N), so every refresh rotates a token the previous
//                          instance issued; `chain` keeps chain i on instance i mod N. The
//                          rotation check runs across instances too (t0 → t1 on the first,
//                          t0 again on the second, t1 on the first)
//   --op OP                refresh, code-flow, introspect or userinfo: what to measure (one
//                          operation per invocation)
//   --client-id ID         public client with PKCE (default spa)
//   --redirect-uri URI     its registered redirect URI (default http://127.0.0.1:9/cb)
//   --strict-client-id ID  client used for the rotation check (default: --client-id); on
//                          Portcullis a client created with --refresh-reuse-window 0
//   --username U           account to sign in (password from env BENCH_PASSWORD)
//   --scope S              default "openid" (sign-in and every authorization request)
//   --introspect-client-id ID  confidential client that calls introspection (default rs), with
//                          client_secret_basic; its secret from env BENCH_INTROSPECT_SECRET
//   --may-refuse 0|1       introspect/userinfo: when 1 and the target refuses the first request
//                          with a chain's token (a 4xx), record that answer as `unsupported`
//                          and measure nothing (exit 0); when 0 (default) the load runs anyway
//                          and every refusal is a failure
//   --connections C        concurrent chains, one keep-alive connection each (default 32)
//   --sessions N           signed-in sessions the chains are spread over, chain i using
//                          session i mod N (default: one per chain, as C users would have)
//   --duration S           measured seconds (default 15)
//   --warmup S             seconds of the same load before measuring, discarded (default 3)
//   --server-pid PID       server process: its CPU and RSS are reported (PID,PID,...: one per
//                          instance; `server` is then their sum, `servers` each one)
//   --db-cpu postgres      also count the CPU of every process named "postgres"
//   --db-cpu postgres:DB   only PostgreSQL's background processes and the backends (and
//                          autovacuum workers) of database DB, not other databases' backends
//   --clk-tck N            /proc tick rate (default 100)
//   --out FILE             write the result JSON there (also printed as one line on stdout)
//
// Sign-in (not measured): follows the redirects of one authorization request with a cookie jar;
// an HTML page with a POST form (Portcullis's login page) is submitted with its hidden inputs
// plus username and password; node-oidc-provider's bench peer signs in by itself at
// /interaction/:uid. The chain ends at the redirect URI with a code; the cookies held then are
// the signed-in session. By default every chain has its own session: on node-oidc-provider all
// codes of one session share one grant, and its in-memory adapter rewrites the grant's list of
// tokens on every token it stores (time linear in that list), so one session shared by all
// chains would slow it down more and more during the run.
//
// refresh:   every chain first runs one code flow to get its own refresh token, then refreshes
//            in a loop, always presenting the latest token. Every response must be 200 with a
//            new refresh_token (different from the one presented) and an access_token.
//            Before the load, a rotation check on a separate session: t0 → t1 (t1 ≠ t0), then
//            t0 again (refused, or the same t1 inside a reuse window), then t1 (refused when the
//            reuse revoked the family).
// code-flow: every iteration: GET authorization endpoint with the session cookie, fresh PKCE
//            verifier, state and nonce → 302/303 to the redirect URI with code and the same
//            state → POST token (authorization_code, code_verifier, client_id) → 200 with
//            access_token, refresh_token and id_token.
// introspect: every chain first gets its own access token (one code flow with its session, as
//            for refresh; the ID token's sub is the subject expected), then loops POST
//            introspection endpoint (from discovery) with token=<access token> and
//            token_type_hint=access_token, authenticated with HTTP Basic as --introspect-client-id.
//            Every answer must be 200 JSON with active: true, the expected sub and client_id.
// userinfo:  the same access tokens (ask for --scope "openid profile email"), then loops GET
//            userinfo endpoint with Authorization: Bearer; every answer must be 200 JSON with the
//            expected sub.
//            For both the load comes from wrk (bench/resource.lua, one thread, --connections
//            connections), with the chains' tokens in turn: a node loop could not keep up with
//            these requests (it took a whole core). The tokens are the ones got before the load,
//            so --warmup plus --duration must end 30 s before they expire. One instance only.
// Any other answer is a failure: it is counted, the first one is kept verbatim, that chain
// stops, and the process exits with status 4 after writing its result (1: any other error).
import { createHash, randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHistogram } from 'node:perf_hooks';
import { Pool, request as undiciRequest } from 'undici';

// --- options ---------------------------------------------------------------------------------
const opts = {
  name: 'target',
  discovery: '',
  spread: 'request',
  op: '',
  'client-id': 'spa',
  'redirect-uri': 'http://127.0.0.1:9/cb',
  'strict-client-id': '',
  username: 'alice',
  scope: 'openid',
  'introspect-client-id': 'rs',
  'may-refuse': '0',
  connections: '32',
  sessions: '',
  duration: '15',
  warmup: '3',
  'server-pid': '',
  'db-cpu': '',
  'clk-tck': '100',
  out: '',
};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const k = argv[i].replace(/^--/, '');
  if (!(k in opts) || i + 1 >= argv.length) {
    console.error(`flows.mjs: unknown or incomplete option ${argv[i]}`);
    process.exit(2);
  }
  opts[k] = argv[i + 1];
}
const OPS = ['refresh', 'code-flow', 'introspect', 'userinfo'];
if (!opts.discovery || !OPS.includes(opts.op) || !['request', 'chain'].includes(opts.spread)) {
  console.error(`flows.mjs: --discovery URL and --op ${OPS.join('|')} are required (--spread request|chain)`);
  process.exit(2);
}
const C = Number(opts.connections);
const SESSIONS = Number(opts.sessions || opts.connections);
const DURATION = Number(opts.duration);
const WARMUP = Number(opts.warmup);
const CLK_TCK = Number(opts['clk-tck']);
const clientId = opts['client-id'];
const strictClientId = opts['strict-client-id'] || clientId;
const redirectUri = opts['redirect-uri'];
const password = process.env.BENCH_PASSWORD ?? '';
const RESOURCE = opts.op === 'introspect' || opts.op === 'userinfo';
const log = (msg) => process.stderr.write(`[flows ${opts.name} ${opts.op}] ${msg}\n`);

// --- helpers ---------------------------------------------------------------------------------
const b64url = (buf) => buf.toString('base64url');
const pkce = () => {
  const verifier = b64url(randomBytes(32));
  return { verifier, challenge: b64url(createHash('sha256').update(verifier).digest()) };
};
const form = (o) => Object.entries(o).map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
const FORM = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };

// Cookies by name, with their Path: a cookie is sent only under its path, as a browser would.
class Jar {
  constructor() { this.c = new Map(); this.memo = new Map(); }
  update(setCookie) {
    if (!setCookie) return;
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const a = attrs.join(';').toLowerCase();
      const maxAge = /max-age=(-?\d+)/.exec(a);
      const expires = /expires=([^;]+)/.exec(a);
      const path = /(?:^|;)\s*path=([^;]*)/i.exec(attrs.join(';'));
      const gone = value === '' || (maxAge && Number(maxAge[1]) <= 0)
        || (!maxAge && expires && Date.parse(expires[1]) < Date.now());
      if (gone) this.c.delete(name); else this.c.set(name, { value, path: path ? path[1].trim() || '/' : '/' });
    }
    this.memo.clear();
  }
  header(pathname) {
    let h = this.memo.get(pathname);
    if (h === undefined) {
      h = [...this.c].filter(([, v]) => pathname === v.path || pathname.startsWith(v.path.endsWith('/') ? v.path : `${v.path}/`))
        .map(([k, v]) => `${k}=${v.value}`).join('; ');
      this.memo.set(pathname, h);
    }
    return h;
  }
}

function describeToken(t) {
  if (typeof t !== 'string') return 'none';
  const parts = t.split('.');
  if (parts.length === 3) {
    try {
      const h = JSON.parse(Buffer.from(parts[0], 'base64url'));
      return `JWT ${h.alg} (${t.length} chars)`;
    } catch { /* fall through */ }
  }
  return `opaque (${t.length} chars)`;
}
const shape = (j) => ({
  fields: Object.keys(j).sort().join(' '),
  access_token: describeToken(j.access_token),
  refresh_token: describeToken(j.refresh_token),
  id_token: describeToken(j.id_token),
});

// /proc readings for the CPU split.
const procTicks = (pid) => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return 0; }
};
const procComm = (pid) => {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return ''; }
};
const [dbKind, dbName] = opts['db-cpu'].split(':');
// A client backend's title is "postgres: [cluster: ]user database host(port) state".
const otherDatabase = (pid) => {
  if (!dbName) return false;
  let title = '';
  try { title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '); } catch { return true; }
  const av = /autovacuum worker\s+(\S+)/.exec(title);
  if (av) return av[1] !== dbName;
  return /(\(\d+\)|\[local\])/.test(title) && !title.split(/\s+/).includes(dbName);
};
const dbTicks = () => {
  if (dbKind !== 'postgres') return new Map();
  const m = new Map();
  for (const d of readdirSync('/proc')) {
    if (/^\d+$/.test(d) && procComm(d) === 'postgres' && !otherDatabase(d)) m.set(d, procTicks(d));
  }
  return m;
};
const busyTicks = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  return f[1] + f[2] + f[3] + f[6] + f[7] + f[8];
};
const rssKb = (pid, key) => {
  try {
    const m = new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch { return null; }
};
const serverPids = opts['server-pid'] ? opts['server-pid'].split(',') : [];
const snapshot = () => ({
  t: process.hrtime.bigint(),
  self: process.cpuUsage(),
  servers: serverPids.map(procTicks),
  db: dbTicks(),
  busy: busyTicks(),
});

// --- discovery -------------------------------------------------------------------------------
async function getJson(url) {
  const r = await undiciRequest(url, { headers: { accept: 'application/json' } });
  const text = await r.body.text();
  if (r.statusCode !== 200) throw new Error(`GET ${url}: ${r.statusCode} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
const metas = await Promise.all(opts.discovery.split(',').map(getJson));
const meta = metas[0];
const authUrl = new URL(meta.authorization_endpoint);
const tokenUrl = new URL(meta.token_endpoint);
if (authUrl.origin !== tokenUrl.origin) throw new Error('authorization and token endpoints on different origins');
const origin = authUrl.origin;
let resourceUrl = null;
if (RESOURCE) {
  const key = opts.op === 'introspect' ? 'introspection_endpoint' : 'userinfo_endpoint';
  if (!meta[key]) throw new Error(`discovery has no ${key}`);
  resourceUrl = new URL(meta[key]);
  if (resourceUrl.origin !== authUrl.origin) throw new Error(`${key} on another origin than the authorization endpoint`);
}
const origins = metas.map((m) => {
  const a = new URL(m.authorization_endpoint);
  const t = new URL(m.token_endpoint);
  if (a.origin !== t.origin || a.pathname !== authUrl.pathname || t.pathname !== tokenUrl.pathname) {
    throw new Error(`instance ${a.origin}: endpoints differ from the first instance's`);
  }
  return a.origin;
});
const N = origins.length;

// One keep-alive connection per chain (per chain and instance with several instances); the
// set-up uses its own connections.
const pools = origins.map((o) => new Pool(o, { connections: C, pipelining: 1, keepAliveTimeout: 60_000 }));
const setupPools = origins.map((o) => new Pool(o, { connections: 8, pipelining: 1 }));
const setupPool = setupPools[0];

function authPath(client, p, state, nonce) {
  const q = form({
    response_type: 'code', client_id: client, redirect_uri: redirectUri, scope: opts.scope,
    state, nonce, code_challenge: p.challenge, code_challenge_method: 'S256',
  });
  return `${authUrl.pathname}?${q}`;
}

// Follows one authorization request to the redirect URI, signing in on the way if asked to.
async function signIn(jar, client) {
  const p = pkce();
  const state = b64url(randomBytes(12));
  let url = new URL(authPath(client, p, state, b64url(randomBytes(12))), origin);
  let method = 'GET';
  let body;
  let headers = {};
  for (let hop = 0; hop < 12; hop++) {
    const cookie = jar.header(url.pathname);
    const r = await setupPool.request({
      method, path: url.pathname + url.search, body, headers: cookie ? { ...headers, cookie } : headers,
    });
    const text = await r.body.text();
    jar.update(r.headers['set-cookie']);
    if ([301, 302, 303, 307, 308].includes(r.statusCode)) {
      const loc = new URL(r.headers.location, url);
      if (loc.href.startsWith(`${redirectUri}?`)) {
        const code = loc.searchParams.get('code');
        if (!code || loc.searchParams.get('state') !== state) {
          throw new Error(`sign-in ended at ${loc.href.slice(0, 300)}`);
        }
        return { code, verifier: p.verifier };
      }
      if (loc.origin !== origin) throw new Error(`sign-in redirected off-site: ${loc.href}`);
      url = loc; method = 'GET'; body = undefined; headers = {};
      continue;
    }
    const formTag = r.statusCode === 200 && /<form[^>]*method="post"[^>]*>/i.exec(text);
    if (formTag) {
      const action = /action="([^"]*)"/i.exec(formTag[0]);
      const fields = {};
      for (const m of text.matchAll(/<input[^>]*type="hidden"[^>]*>/gi)) {
        const n = /name="([^"]*)"/.exec(m[0]); const v = /value="([^"]*)"/.exec(m[0]);
        if (n) fields[n[1]] = v ? v[1].replaceAll('&amp;', '&') : '';
      }
      if (/name="password"/.test(text)) Object.assign(fields, { username: opts.username, password });
      url = new URL(action ? action[1].replaceAll('&amp;', '&') : url.href, url);
      method = 'POST'; body = form(fields); headers = { 'content-type': 'application/x-www-form-urlencoded' };
      continue;
    }
    throw new Error(`sign-in: ${method} ${url.pathname} answered ${r.statusCode}: ${text.slice(0, 300)}`);
  }
  throw new Error('sign-in: too many redirects');
}

async function tokenRequest(p, params) {
  const r = await p.request({ method: 'POST', path: tokenUrl.pathname, headers: FORM, body: form(params) });
  const text = await r.body.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.statusCode, text, json };
}
const exchange = (p, client, code, verifier) => tokenRequest(p, {
  grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: verifier, client_id: client,
});
const refresh = (p, client, rt) => tokenRequest(p, { grant_type: 'refresh_token', refresh_token: rt, client_id: client });

// A code flow with an existing session (no redirects followed: the first answer must carry the code).
async function codeWithSession(p, jar, client) {
  const pk = pkce();
  const state = b64url(randomBytes(12));
  const r = await p.request({ method: 'GET', path: authPath(client, pk, state, b64url(randomBytes(12))), headers: { cookie: jar.header(authUrl.pathname) } });
  await r.body.dump();
  if (r.headers['set-cookie']) jar.update(r.headers['set-cookie']);
  const loc = r.headers.location;
  if (![302, 303].includes(r.statusCode) || !loc || !loc.startsWith(`${redirectUri}?`)) {
    return { error: `authorize answered ${r.statusCode} location=${String(loc).slice(0, 200)}` };
  }
  const q = new URL(loc).searchParams;
  if (q.get('state') !== state || !q.get('code')) return { error: `authorize redirect without code/state: ${loc.slice(0, 200)}` };
  return { code: q.get('code'), verifier: pk.verifier };
}

// --- sign in, rotation check, refresh tokens ------------------------------------------------
const result = {
  name: opts.name, op: opts.op, origin, origins, spread: N > 1 ? opts.spread : null, connections: C, duration_s: DURATION, warmup_s: WARMUP,
  client_id: clientId, failures: 0, first_failure: null,
  scope: opts.scope,
};
if (opts.op === 'introspect') result.introspect_client_id = opts['introspect-client-id'];
const jars = Array.from({ length: SESSIONS }, () => new Jar());
result.sessions = SESSIONS;
{
  const t = process.hrtime.bigint();
  const firsts = [];
  // One sign-in at a time: Portcullis counts an attempt against the account while its password
  // is being checked (brute-force protection), so a concurrent sign-in of the same user is told
  // to wait (error=wait).
  for (const j of jars) firsts.push(await signIn(j, clientId));
  const tok = await exchange(setupPool, clientId, firsts[0].code, firsts[0].verifier);
  if (tok.status !== 200) throw new Error(`first code exchange: ${tok.status} ${tok.text.slice(0, 300)}`);
  result.sign_in_ms = Number(process.hrtime.bigint() - t) / 1e6;
  result.code_response = shape(tok.json);
  result.session_cookies = jars[0].header(authUrl.pathname).split('; ').map((c) => c.split('=')[0]);
}

if (opts.op === 'refresh') {
  // Rotation check on its own session (on node-oidc-provider a reuse revokes the whole grant,
  // which every code flow of one session shares).
  // With several instances: t0 → t1 on the first, t0 again on the second, t1 on the first.
  const cjar = new Jar();
  const s = await signIn(cjar, strictClientId);
  const t0 = (await exchange(setupPool, strictClientId, s.code, s.verifier)).json?.refresh_token;
  const r1 = await refresh(setupPool, strictClientId, t0);
  const t1 = r1.json?.refresh_token;
  const again = await refresh(setupPools[1 % N], strictClientId, t0);
  const after = await refresh(setupPool, strictClientId, t1);
  const summary = (r) => (r.status === 200 ? `200 ${r.json?.refresh_token === t1 ? 'same successor' : 'new token'}`
    : `${r.status} ${r.json?.error ?? r.text.slice(0, 80)}`);
  const rotated = r1.status === 200 && typeof t1 === 'string' && t1 !== t0;
  result.rotation_check = {
    client_id: strictClientId,
    instances: N > 1 ? 'spent t0 again on the second instance' : null,
    first_refresh: r1.status === 200 ? (rotated ? '200 new token' : '200 SAME token (no rotation)') : summary(r1),
    spent_token_again: summary(again),
    successor_after_reuse: summary(after),
    rotates: rotated,
    reuse_refused: again.status >= 400 && again.status < 500,
    family_revoked: again.status >= 400 && again.status < 500 && after.status >= 400 && after.status < 500,
  };
  log(`rotation check (${strictClientId}): ${JSON.stringify(result.rotation_check)}`);
  if (!rotated) throw new Error(`rotation check: first refresh ${r1.status} ${r1.text.slice(0, 300)}`);
}

// Refresh tokens, one per chain, from code flows with the shared session.
let chainTokens = [];
if (opts.op === 'refresh') {
  chainTokens = await Promise.all(Array.from({ length: C }, async (_, i) => {
    const c = await codeWithSession(setupPool, jars[i % SESSIONS], clientId);
    if (c.error) throw new Error(`chain ${i}: ${c.error}`);
    const t = await exchange(setupPool, clientId, c.code, c.verifier);
    if (t.status !== 200 || !t.json?.refresh_token) throw new Error(`chain ${i}: exchange ${t.status} ${t.text.slice(0, 300)}`);
    return t.json.refresh_token;
  }));
}

// Access tokens, one per chain (introspect, userinfo), with the subject their ID token names.
const subOf = (idToken) => {
  try { return JSON.parse(Buffer.from(idToken.split('.')[1], 'base64url')).sub; } catch { return undefined; }
};
async function accessToken(p, i) {
  const c = await codeWithSession(p, jars[i % SESSIONS], clientId);
  if (c.error) return { error: c.error };
  const t = await exchange(p, clientId, c.code, c.verifier);
  const sub = subOf(t.json?.id_token);
  if (t.status !== 200 || typeof t.json?.access_token !== 'string' || !sub) {
    return { error: `exchange ${t.status} ${t.text.slice(0, 300)}` };
  }
  const ttl = Number(t.json.expires_in);
  // Without expires_in: assume 300 s (both servers' default).
  return { at: t.json.access_token, sub, expiresAt: Date.now() + (Number.isFinite(ttl) && ttl > 0 ? ttl : 300) * 1000 };
}
const basic = `Basic ${Buffer.from(`${encodeURIComponent(opts['introspect-client-id'])}:${encodeURIComponent(process.env.BENCH_INTROSPECT_SECRET ?? '')}`).toString('base64')}`;
async function resourceRequest(p, at) {
  const r = opts.op === 'introspect'
    ? await p.request({
      method: 'POST', path: resourceUrl.pathname, headers: { ...FORM, authorization: basic },
      body: form({ token: at, token_type_hint: 'access_token' }),
    })
    : await p.request({
      method: 'GET', path: resourceUrl.pathname + resourceUrl.search, headers: { accept: 'application/json', authorization: `Bearer ${at}` },
    });
  const text = await r.body.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: r.statusCode, text, json, wwwAuthenticate: r.headers['www-authenticate'] };
}
// null when the answer is what the operation expects, else what is wrong with it.
function resourceProblem(r, expectSub) {
  const what = `${opts.op} ${r.status}`;
  if (r.status !== 200 || !r.json) {
    return `${what} ${r.text.slice(0, 300)}${r.wwwAuthenticate ? ` (WWW-Authenticate: ${String(r.wwwAuthenticate).slice(0, 200)})` : ''}`;
  }
  if (opts.op === 'introspect') {
    if (r.json.active !== true) return `${what} but active=${JSON.stringify(r.json.active)}: ${r.text.slice(0, 300)}`;
    if (r.json.client_id !== clientId) return `${what} but client_id=${JSON.stringify(r.json.client_id)} (expected ${clientId}): ${r.text.slice(0, 300)}`;
  }
  if (r.json.sub !== expectSub) return `${what} but sub=${JSON.stringify(r.json.sub)} (expected ${expectSub}): ${r.text.slice(0, 300)}`;
  return null;
}
const resourceShape = (r, at) => ({
  fields: Object.keys(r.json ?? {}).sort().join(' '),
  access_token: describeToken(at),
  refresh_token: 'n/a',
  id_token: 'n/a',
});

let chainAccess = [];
if (RESOURCE) {
  if (N > 1) throw new Error(`${opts.op} measures one instance (wrk sends to one origin)`);
  chainAccess = await Promise.all(Array.from({ length: C }, async (_, i) => {
    const a = await accessToken(setupPool, i);
    if (a.error) throw new Error(`chain ${i}: ${a.error}`);
    return a;
  }));
  // The first request, with chain 0's token: a target that cannot do this at all (node in jwt
  // mode) is recorded as such with --may-refuse 1 instead of being measured.
  const r = await resourceRequest(setupPool, chainAccess[0].at);
  const problem = resourceProblem(r, chainAccess[0].sub);
  result.first_answer = { status: r.status, body: r.text.slice(0, 600), www_authenticate: r.wwwAuthenticate ?? null };
  if (problem) {
    if (opts['may-refuse'] === '1' && r.status >= 400 && r.status < 500) {
      result.unsupported = problem;
      result.response = resourceShape(r, chainAccess[0].at);
      log(`not supported here: ${problem}`);
      await Promise.all(setupPools.map((p) => p.close()));
      await Promise.all(pools.map((p) => p.close()));
      const line = JSON.stringify(result);
      if (opts.out) writeFileSync(opts.out, `${JSON.stringify(result, null, 1)}\n`);
      process.stdout.write(`${line}\n`);
      process.exit(0);
    }
    // Otherwise the load runs: each chain's first request fails the same way and is counted.
    log(`first ${opts.op} request: ${problem}`);
  } else {
    log(`first answer: ${r.text.slice(0, 300)}`);
  }
  result.response = resourceShape(r, chainAccess[0].at);
  const subs = new Set(chainAccess.map((a) => a.sub));
  if (subs.size !== 1) throw new Error(`the chains' tokens name ${subs.size} subjects, expected one (${opts.username})`);
  const left = (Math.min(...chainAccess.map((a) => a.expiresAt)) - Date.now()) / 1000;
  if (left < WARMUP + DURATION + 30) {
    throw new Error(`the access tokens expire in ${left.toFixed(0)} s: warm-up plus duration must end 30 s before`);
  }
}
await Promise.all(setupPools.map((p) => p.close()));

// --- load ------------------------------------------------------------------------------------
let phase = 'warmup';
const hist = {};
const newHist = () => createHistogram({ lowest: 1, highest: 120e9, figures: 3 });
const lanes = opts.op === 'code-flow' ? ['authorize', 'token', 'iteration'] : [opts.op];
for (const l of lanes) hist[l] = newHist();
let measureStart = 0n;
const perSecond = [];
let completed = 0;

function fail(chain, what) {
  result.failures += 1;
  if (!result.first_failure) {
    result.first_failure = `${phase} chain ${chain}: ${what}`;
    log(`FAILURE ${result.first_failure}`);
  }
}
function done(now) {
  if (phase !== 'measure') return;
  completed += 1;
  const sec = Number((now - measureStart) / 1_000_000_000n);
  perSecond[sec] = (perSecond[sec] ?? 0) + 1;
}

let loadShape = null;
async function refreshChain(i) {
  let rt = chainTokens[i];
  let n = i;
  while (phase !== 'stop') {
    const pool = pools[(opts.spread === 'request' ? n++ : i) % N];
    const t0 = process.hrtime.bigint();
    const r = await refresh(pool, clientId, rt);
    const t1 = process.hrtime.bigint();
    if (phase === 'stop') return;
    const next = r.json?.refresh_token;
    if (r.status !== 200 || typeof next !== 'string' || next === rt || !r.json.access_token) {
      fail(i, r.status !== 200 ? `refresh ${r.status} ${r.text.slice(0, 300)}`
        : `refresh 200 but refresh_token ${next === rt ? 'not rotated' : 'missing'}`);
      return;
    }
    if (!loadShape) loadShape = shape(r.json);
    rt = next;
    if (phase === 'measure') { hist.refresh.record(Number(t1 - t0)); done(t1); }
  }
}

async function codeFlowChain(i) {
  const jar = jars[i % SESSIONS];
  const pool = pools[i % N];
  while (phase !== 'stop') {
    const t0 = process.hrtime.bigint();
    const c = await codeWithSession(pool, jar, clientId);
    const t1 = process.hrtime.bigint();
    if (phase === 'stop') return;
    if (c.error) { fail(i, c.error); return; }
    const r = await exchange(pool, clientId, c.code, c.verifier);
    const t2 = process.hrtime.bigint();
    if (phase === 'stop') return;
    if (r.status !== 200 || !r.json?.access_token || !r.json.refresh_token || !r.json.id_token) {
      fail(i, `token ${r.status} ${r.text.slice(0, 300)}`);
      return;
    }
    if (!loadShape) loadShape = shape(r.json);
    if (phase === 'measure') {
      hist.authorize.record(Number(t1 - t0));
      hist.token.record(Number(t2 - t1));
      hist.iteration.record(Number(t2 - t0));
      done(t2);
    }
  }
}

const sleep = (s) => new Promise((res) => setTimeout(res, s * 1000));
// A transport error (connection reset, server gone) is a failure of that chain too.

// introspect, userinfo: wrk (see the header). Resolves to resource.lua's result and wrk's CPU
// seconds (user + system, from bash's `times` after it exited).
const LUA = join(dirname(fileURLToPath(import.meta.url)), '..', 'resource.lua');
let tokensDir = null;
let wrkChild = null;
// wrk runs under bash in a process group of its own: a signal to this process stops both.
for (const [sig, code] of [['SIGINT', 130], ['SIGTERM', 143]]) {
  process.on(sig, () => {
    try { if (wrkChild) process.kill(-wrkChild.pid, sig); } catch { /* already gone */ }
    process.exit(code);
  });
}
function runWrk(seconds) {
  if (!tokensDir) {
    tokensDir = mkdtempSync(join(tmpdir(), 'flows-wrk-'));
    writeFileSync(join(tokensDir, 'tokens'), `${chainAccess.map((x) => x.at).join('\n')}\n`);
  }
  const env = {
    ...process.env,
    BENCH_OP: opts.op,
    BENCH_TOKENS: join(tokensDir, 'tokens'),
    BENCH_PATH: resourceUrl.pathname + resourceUrl.search,
    BENCH_SUB: chainAccess[0].sub,
    BENCH_CLIENT_ID: clientId,
    BENCH_AUTHORIZATION: basic,
    BENCH_TARGET: opts.name,
  };
  const args = ['-c', 'wrk "$@"; rc=$?; times >&2; exit $rc', 'wrk', '-t1', `-c${C}`, `-d${seconds}s`, '-s', LUA, origin];
  return new Promise((resolve, reject) => {
    const child = spawn('bash', args, { env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    wrkChild = child;
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      wrkChild = null;
      const line = out.split('\n').find((l) => l.startsWith('{"resource"'));
      const times = [...err.matchAll(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/g)].at(-1);
      if (code !== 0 || !line || !times) {
        reject(new Error(`wrk failed (status ${code}): ${(out + err).slice(0, 600)}`));
        return;
      }
      const cpu = Number(times[1]) * 60 + Number(times[2]) + Number(times[3]) * 60 + Number(times[4]);
      resolve({ run: JSON.parse(line), cpu });
    });
  });
}
function wrkFailures(run) {
  const e = run.socket_errors;
  const socket = e.connect + e.read + e.write + e.timeout;
  result.failures += run.failures + socket;
  if (!result.first_failure && (run.failures || socket)) {
    result.first_failure = `${phase}: ${run.failures ? run.first_failure : `socket errors ${JSON.stringify(e)}`}`;
    log(`FAILURE ${result.first_failure}`);
  }
}

let a;
let b;
let wrkRun = null;
let wrkCpu = 0;
if (RESOURCE) {
  await Promise.all(pools.map((p) => p.close()));
  // wrk takes whole seconds.
  const warmup = Math.round(WARMUP);
  if (warmup > 0) wrkFailures((await runWrk(warmup)).run);
  a = snapshot();
  phase = 'measure';
  ({ run: wrkRun, cpu: wrkCpu } = await runWrk(Math.max(1, Math.round(DURATION))));
  b = snapshot();
  phase = 'stop';
  wrkFailures(wrkRun);
  rmSync(tokensDir, { recursive: true, force: true });
} else {
  const chainFn = { refresh: refreshChain, 'code-flow': codeFlowChain }[opts.op];
  const chains = Array.from({ length: C }, (_, i) => chainFn(i)
    .catch((e) => fail(i, `request error: ${e.code ?? ''} ${e.message}`)));
  if (WARMUP > 0) await sleep(WARMUP);
  a = snapshot();
  measureStart = a.t;
  phase = 'measure';
  await sleep(DURATION);
  phase = 'stop';
  b = snapshot();
  await Promise.all(chains);
  await Promise.all(pools.map((p) => p.close()));
}

// --- result ----------------------------------------------------------------------------------
const wall = Number(b.t - a.t) / 1e9;
const ms = (h) => ({
  count: h.count,
  per_sec: h.count / wall,
  mean: h.count ? h.mean / 1e6 : null,
  p50: h.count ? h.percentile(50) / 1e6 : null,
  p90: h.count ? h.percentile(90) / 1e6 : null,
  p99: h.count ? h.percentile(99) / 1e6 : null,
  p99_9: h.count ? h.percentile(99.9) / 1e6 : null,
  max: h.count ? h.max / 1e6 : null,
});
result.wall_s = wall;
if (wrkRun) {
  // Rates over wrk's own measured time; CPU (below) over the snapshots' wall time.
  const l = wrkRun.latency_ms;
  result.requests = {
    [opts.op]: { count: wrkRun.requests, per_sec: wrkRun.requests / wrkRun.duration_s, ...l },
  };
  result.iterations = wrkRun.requests;
  result.iterations_per_sec = wrkRun.requests / wrkRun.duration_s;
  result.load_generator = 'wrk -t1 (bench/resource.lua)';
} else {
  result.requests = Object.fromEntries(lanes.map((l) => [l, ms(hist[l])]));
  result.iterations = completed;
  result.iterations_per_sec = completed / wall;
  result.response = loadShape;
  result.load_generator = 'bench/node/flows.mjs';
}
const full = wrkRun ? wrkRun.per_second : perSecond.slice(0, Math.floor(wall + 0.05));
result.per_second = full.map((x) => x ?? 0);
if (full.length >= 3) {
  const third = Math.floor(full.length / 3);
  const avg = (xs) => xs.reduce((s, x) => s + (x ?? 0), 0) / xs.length;
  result.first_third_per_sec = avg(full.slice(0, third));
  result.last_third_per_sec = avg(full.slice(full.length - third));
}
const selfCpu = (b.self.user + b.self.system - a.self.user - a.self.system) / 1e6 + wrkCpu;
// 0 when a server is gone (its /proc entry reads as 0 ticks).
const serversCpu = b.servers.map((t, k) => Math.max(0, t - a.servers[k]) / CLK_TCK);
const serverCpu = serversCpu.reduce((x, y) => x + y, 0);
let dbCpu = 0;
for (const [pid, ticks] of b.db) dbCpu += (ticks - (a.db.get(pid) ?? 0)) / CLK_TCK;
const busy = (b.busy - a.busy) / CLK_TCK;
result.cpu_cores = {
  server: serverCpu / wall,
  servers: serversCpu.map((x) => x / wall),
  generator: selfCpu / wall,
  db: opts['db-cpu'] ? dbCpu / wall : null,
  other: Math.max(0, (busy - serverCpu - selfCpu - dbCpu) / wall),
};
if (serverPids.length) {
  result.server_rss_kb = rssKb(serverPids[0], 'VmRSS');
  result.server_peak_rss_kb = rssKb(serverPids[0], 'VmHWM');
  result.servers_rss_kb = serverPids.map((pid) => rssKb(pid, 'VmRSS'));
}
const line = JSON.stringify(result);
if (opts.out) writeFileSync(opts.out, `${JSON.stringify(result, null, 1)}\n`);
process.stdout.write(`${line}\n`);
const c = result.cpu_cores;
const unit = { refresh: 'refreshes', 'code-flow': 'code flows', introspect: 'introspections', userinfo: 'userinfo requests' }[opts.op];
log(`${result.iterations_per_sec.toFixed(0)} ${unit}/s, `
  + `failures ${result.failures}, CPU server ${c.server.toFixed(2)} generator ${c.generator.toFixed(2)}`
  + `${c.db === null ? '' : ` db ${c.db.toFixed(2)}`} other ${c.other.toFixed(2)}`);
process.exit(result.failures ? 4 : 0);
