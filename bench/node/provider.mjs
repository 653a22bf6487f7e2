// node-oidc-provider peer for bench/run.sh.
//
// Usage: node provider.mjs <opaque|jwt> [port (0 = free port)] [host]
// Env:   BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_RS_CLIENT_ID, BENCH_RS_CLIENT_SECRET
//        (defaults below)
//
// One client_credentials client (client_secret_basic). Token endpoint: POST /token.
//   opaque: default opaque access tokens (stored in the built-in in-memory adapter).
//   jwt:    JWT access tokens through features.resourceIndicators (defaultResource +
//           getResourceServerInfo with accessTokenFormat 'jwt'), signed ES256 with a P-256 key,
//           like Portcullis.
// For bench/flows.mjs (code flow and refresh rotation), also:
//   - a public client BENCH_SPA_CLIENT_ID (default "spa"; token_endpoint_auth_method none, so
//     PKCE is required) with redirect URI BENCH_SPA_REDIRECT_URI (default http://127.0.0.1:9/cb),
//     grant types authorization_code + refresh_token;
//   - refresh tokens for every code (issueRefreshToken), without offline_access, so that they
//     expire with the session like Portcullis's; rotated on every use (rotateRefreshToken: true;
//     a spent token presented again revokes the grant);
//   - an automatic interaction at GET /interaction/:uid: it signs in account BENCH_ACCOUNT
//     (default "alice") and grants the requested OIDC scopes without a page, so a client that
//     follows the redirects (keeping cookies) ends at the redirect URI with a code and holds a
//     session cookie; later authorization requests with that cookie get a code at once.
//     This replaces the login form of a real deployment (no password is checked);
//   - for the introspect and userinfo operations: a confidential client BENCH_RS_CLIENT_ID
//     (default "rs", client_secret_basic, no grant of its own), the resource server's
//     credentials; features.introspection on, with an allowedPolicy that lets a confidential
//     client introspect any client's token (a public one only its own: the default policy, set
//     explicitly); findAccount answers BENCH_ACCOUNT's sub, preferred_username, email and
//     email_verified from memory (the claims Portcullis's userinfo returns for its bench user and
//     openid profile email).
//     In jwt mode neither works, by oidc-provider's design: the spa client's access tokens are
//     JWTs for the resource (audience set), meant to be verified by the resource server itself.
//     Introspection refuses any JWT (400 unsupported_token_type, "Structured JWT Tokens cannot be
//     introspected via the introspection_endpoint"); userinfo looks the token up in the adapter,
//     where a JWT access token is not found (401 invalid_token), and would refuse a token with an
//     audience anyway. bench/flows.mjs records that answer (--may-refuse 1) instead of measuring.
// Prints exactly one stdout line "listening on http://HOST:PORT" once ready; no per-request logs.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const [mode = 'opaque', portArg = '0', host = '127.0.0.1'] = process.argv.slice(2);
if (mode !== 'opaque' && mode !== 'jwt') {
  console.error(`unknown mode ${mode} (expected opaque or jwt)`);
  process.exit(2);
}
const port = Number.parseInt(portArg, 10);
const clientId = process.env.BENCH_CLIENT_ID || 'bench-service';
const clientSecret = process.env.BENCH_CLIENT_SECRET || 'bench-secret-0123456789abcdef0123456789';
const rsClientId = process.env.BENCH_RS_CLIENT_ID || 'rs';
const rsClientSecret = process.env.BENCH_RS_CLIENT_SECRET || 'bench-rs-secret-0123456789abcdef012345678';
const spaClientId = process.env.BENCH_SPA_CLIENT_ID || 'spa';
const spaRedirectUri = process.env.BENCH_SPA_REDIRECT_URI || 'http://127.0.0.1:9/cb';
const account = process.env.BENCH_ACCOUNT || 'alice';
const resource = 'https://api.bench.example/';
const scope = 'read:dataset';

// Fresh keys per process: an EC P-256 key for ES256 access tokens, and an RSA key because
// id_token_signed_response_alg defaults to RS256 (not used by this grant, but validated).
const ecJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const rsaJwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });

const configuration = {
  clients: [{
    client_id: clientId,
    client_secret: clientSecret,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
    scope,
  }, {
    client_id: spaClientId,
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: [spaRedirectUri],
  }, {
    // The resource server: only calls introspection.
    client_id: rsClientId,
    client_secret: rsClientSecret,
    grant_types: [],
    response_types: [],
    redirect_uris: [],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  // An in-memory account with the claims Portcullis's userinfo returns for the bench's user and
  // scope openid profile email (no name was given to it there; email not verified).
  findAccount: async (_ctx, sub) => (sub === account ? {
    accountId: sub,
    claims: async () => ({
      sub, preferred_username: sub, email: `${sub}@example.com`, email_verified: false,
    }),
  } : undefined),
  claims: {
    // The defaults, plus profile and email.
    acr: null,
    sid: null,
    auth_time: null,
    iss: null,
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  scopes: ['openid', 'profile', 'email', 'offline_access', scope],
  // Like Portcullis's spa template: a refresh token with every code, rotated on every use.
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  rotateRefreshToken: true,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  jwks: { keys: [{ ...ecJwk, use: 'sig', alg: 'ES256' }, { ...rsaJwk, use: 'sig', alg: 'RS256' }] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: {
      enabled: true,
      // Any confidential client may introspect any token (a resource server introspects the
      // tokens issued to the apps that call it); a public client only its own tokens.
      allowedPolicy: async (_ctx, client, token) => client.clientAuthMethod !== 'none'
        || token.clientId === client.clientId,
    },
    revocation: { enabled: false },
  },
  ttl: {
    // Same order of magnitude as Portcullis; setting it also silences the "SHOULD change" notice.
    ClientCredentials: 300,
    AccessToken: 300,
    // Portcullis: codes 60 s, ID tokens 300 s, refresh tokens 30 days, sessions 8 h.
    AuthorizationCode: 60,
    IdToken: 300,
    RefreshToken: 30 * 24 * 3600,
    Grant: 30 * 24 * 3600,
    Session: 8 * 3600,
    Interaction: 600,
  },
};

if (mode === 'jwt') {
  configuration.features.resourceIndicators = {
    enabled: true,
    defaultResource: async () => resource,
    useGrantedResource: async () => true,
    getResourceServerInfo: async (_ctx, resourceIndicator) => {
      if (resourceIndicator !== resource) {
        throw new Error(`unknown resource ${resourceIndicator}`);
      }
      return {
        scope,
        audience: resource,
        accessTokenTTL: 300,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      };
    },
  };
}

// Listen first so that port 0 works: the issuer (and so the JWT "iss") needs the real port.
let handler = (_req, res) => { res.statusCode = 503; res.end(); };
const server = createServer((req, res) => handler(req, res));
server.listen(port, host, () => {
  const actualPort = server.address().port;
  const provider = new Provider(`http://${host}:${actualPort}`, configuration);
  // Koa's default error handler would print every server-side error; keep it to one line each.
  provider.on('server_error', (_ctx, err) => console.error('server_error', err?.message ?? err));
  const callback = provider.callback();
  handler = (req, res) => {
    if (req.method === 'GET' && req.url.startsWith('/interaction/')) {
      autoInteraction(provider, req, res).catch((err) => {
        console.error('interaction', err?.message ?? err);
        res.statusCode = 500;
        res.end();
      });
      return;
    }
    callback(req, res);
  };
  process.stdout.write(`listening on http://${host}:${actualPort}\n`);
});

// The bench's stand-in for a login and consent page: sign in BENCH_ACCOUNT and grant what the
// client asked for, then resume the authorization request.
async function autoInteraction(provider, req, res) {
  const { prompt, params, session, grantId: existing } = await provider.interactionDetails(req, res);
  const result = {};
  if (prompt.name === 'login' || !session) {
    result.login = { accountId: account };
  }
  const grant = existing
    ? await provider.Grant.find(existing)
    : new provider.Grant({ accountId: session?.accountId ?? account, clientId: params.client_id });
  grant.addOIDCScope(String(params.scope || 'openid'));
  if (mode === 'jwt') {
    grant.addResourceScope(resource, scope);
  }
  result.consent = { grantId: await grant.save() };
  await provider.interactionFinished(req, res, result, { mergeWithLastSubmission: true });
}

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
