// node-oidc-provider peer for bench/run.sh.
//
// Usage: node provider.mjs <opaque|jwt> [port (0 = free port)] [host]
// Env:   BENCH_CLIENT_ID, BENCH_CLIENT_SECRET (defaults below)
//
// One client_credentials client (client_secret_basic). Token endpoint: POST /token.
//   opaque: default opaque access tokens (stored in the built-in in-memory adapter).
//   jwt:    JWT access tokens through features.resourceIndicators (defaultResource +
//           getResourceServerInfo with accessTokenFormat 'jwt'), signed ES256 with a P-256 key,
//           like Portcullis.
// Prints exactly one stdout line "listening on http://HOST:PORT" once ready; no per-request logs.
import { generateKeyPairSync } from 'node:crypto';
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
  }],
  scopes: [scope],
  jwks: { keys: [{ ...ecJwk, use: 'sig', alg: 'ES256' }, { ...rsaJwk, use: 'sig', alg: 'RS256' }] },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: false },
    revocation: { enabled: false },
  },
  ttl: {
    // Same order of magnitude as Portcullis; setting it also silences the "SHOULD change" notice.
    ClientCredentials: 300,
    AccessToken: 300,
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
  handler = provider.callback();
  process.stdout.write(`listening on http://${host}:${actualPort}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
