// A real OpenID Provider (panva's oidc-provider) for the tests: tests/oidc_provider.py runs it.
//
//   node provider.mjs <port> [redirect_uri ...]
//
// It serves issuer http://127.0.0.1:<port> with
// - one confidential client (client_secret_basic), redirect_uris {issuer}/cb and the console's
//   http://console.test/console/sign-in/oidc/callback (nothing listens at either: the test
//   reads the code from the redirect's Location header), plus any redirect_uri given after
//   the port (a live console's callback, for the browser test);
// - a fresh RSA (RS256) and EC P-256 (ES256) signing key per process, each with a random kid,
//   so restarting the process rotates the keys;
// - JWT access tokens for resource indicators of the form
//     urn:workspaced-tests:resource?audience=<aud>&ttl=<seconds>&alg=<RS256|ES256>
//   (aud, lifetime and signing algorithm of the token come from the indicator), carrying the
//   account's email, email_verified, name and picture claims;
// - an interaction that logs in the account named by the authorization request's login_hint
//   and grants everything asked, with no page in between (it answers 303 to the resume URL);
//   without a login_hint, oidc-provider's own devInteractions pages: a login form (login =
//   the account's sub, any password) and a consent form ("Continue"), as a browser sees them;
// - test-only routes: POST /__test/accounts (JSON {sub, email, email_verified, name?,
//   picture?}) registers an account; GET /__test/health.
//
// Nothing here is fit for production: secrets are fixed and in memory.

import { randomBytes, generateKeyPair } from 'node:crypto';
import { promisify } from 'node:util';

const port = Number.parseInt(process.argv[2] ?? '', 10);
const extraRedirectUris = process.argv.slice(3);
if (!Number.isInteger(port) || port <= 0 || port > 65535
    || !extraRedirectUris.every((uri) => /^https?:\/\/[^\s#]+$/.test(uri))) {
  console.error('usage: node provider.mjs <port> [redirect_uri ...]');
  process.exit(2);
}

const ISSUER = `http://127.0.0.1:${port}`;
const CLIENT_ID = 'workspaced-tests';
const CLIENT_SECRET = 'workspaced-tests-secret';
const RESOURCE_PREFIX = 'urn:workspaced-tests:resource?';
const ALGORITHMS = new Set(['RS256', 'ES256']);

/** @type {Map<string, {sub: string, email: string, email_verified: boolean, name?: string, picture?: string}>} */
const accounts = new Map();

async function signingKey(type, options, alg) {
  const { privateKey } = await promisify(generateKeyPair)(type, options);
  return { ...privateKey.export({ format: 'jwk' }), kid: randomBytes(12).toString('base64url'), alg, use: 'sig' };
}

// Key generation runs on libuv's threads while oidc-provider loads.
const keys = Promise.all([
  signingKey('rsa', { modulusLength: 2048 }, 'RS256'),
  signingKey('ec', { namedCurve: 'P-256' }, 'ES256'),
]);
const { default: Provider, errors } = await import('oidc-provider');
const jwks = { keys: await keys };

function parseResource(indicator) {
  if (!indicator.startsWith(RESOURCE_PREFIX)) return undefined;
  const query = new URLSearchParams(indicator.slice(RESOURCE_PREFIX.length));
  const audience = query.get('audience');
  const ttl = Number.parseInt(query.get('ttl') ?? '', 10);
  const alg = query.get('alg') ?? 'RS256';
  if (!audience || !Number.isInteger(ttl) || ttl <= 0 || !ALGORITHMS.has(alg)) return undefined;
  return { audience, ttl, alg };
}

function accountClaims(account) {
  const claims = { email: account.email, email_verified: account.email_verified };
  if (account.name != null) claims.name = account.name;
  if (account.picture != null) claims.picture = account.picture;
  return claims;
}

const configuration = {
  clients: [{
    client_id: CLIENT_ID,
    client_secret: CLIENT_SECRET,
    // {issuer}/cb for token tests; the console's callback for its sign-in tests (the
    // console under test has WORKSPACED_PUBLIC_URL http://console.test); a live console's
    // callback from the command line.
    redirect_uris: [
      `${ISSUER}/cb`,
      'http://console.test/console/sign-in/oidc/callback',
      ...extraRedirectUris,
    ],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  jwks,
  cookies: { keys: [randomBytes(32).toString('base64url')] },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name', 'picture'],
  },
  scopes: ['openid', 'email', 'profile'],
  pkce: { required: () => true },
  ttl: {
    // What getResourceServerInfo derived from the resource indicator.
    AccessToken: (ctx, token) => token.resourceServer?.accessTokenTTL ?? 300,
    AuthorizationCode: 60,
    Grant: 3600,
    IdToken: 300,
    Interaction: 600,
    Session: 3600,
  },
  features: {
    // The login and consent pages a browser sees when no login_hint names the account.
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => undefined,
      useGrantedResource: () => true,
      getResourceServerInfo(ctx, indicator) {
        const resource = parseResource(indicator);
        if (!resource) throw new errors.InvalidTarget(`unknown resource indicator ${indicator}`);
        return {
          scope: '',
          audience: resource.audience,
          accessTokenTTL: resource.ttl,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: resource.alg } },
        };
      },
    },
  },
  async findAccount(ctx, sub) {
    const account = accounts.get(sub);
    if (!account) return undefined;
    return {
      accountId: sub,
      async claims() {
        return { sub, ...accountClaims(account) };
      },
    };
  },
  async extraTokenClaims(ctx, token) {
    const account = token.accountId ? accounts.get(token.accountId) : undefined;
    return account ? accountClaims(account) : undefined;
  },
  renderError(ctx, out) {
    ctx.type = 'json';
    ctx.body = out;
  },
};

const provider = new Provider(ISSUER, configuration);

async function readJson(ctx) {
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function validAccount(body) {
  return body !== null && typeof body === 'object'
    && typeof body.sub === 'string' && body.sub !== ''
    && typeof body.email === 'string'
    && typeof body.email_verified === 'boolean'
    && (body.name == null || typeof body.name === 'string')
    && (body.picture == null || typeof body.picture === 'string');
}

provider.use(async (ctx, next) => {
  if (ctx.path === '/__test/health' && ctx.method === 'GET') {
    ctx.body = { ok: true, kids: jwks.keys.map((key) => key.kid) };
    return undefined;
  }

  if (ctx.path === '/__test/accounts' && ctx.method === 'POST') {
    let body;
    try {
      body = await readJson(ctx);
    } catch {
      body = undefined;
    }
    if (!validAccount(body)) {
      ctx.status = 400;
      ctx.body = { error: 'expected {sub, email, email_verified, name?, picture?}' };
      return undefined;
    }
    accounts.set(body.sub, {
      sub: body.sub,
      email: body.email,
      email_verified: body.email_verified,
      name: body.name ?? undefined,
      picture: body.picture ?? undefined,
    });
    ctx.status = 204;
    return undefined;
  }

  if (/^\/interaction\/[^/]+$/.test(ctx.path) && ctx.method === 'GET') {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const sub = details.params.login_hint;
    // No login_hint: devInteractions' login and consent pages (a person at a browser).
    if (sub === undefined) return next();
    if (typeof sub !== 'string' || !accounts.has(sub)) {
      ctx.status = 400;
      ctx.body = { error: `login_hint must name a registered account, got ${JSON.stringify(sub)}` };
      return undefined;
    }

    const grant = new provider.Grant({ accountId: sub, clientId: details.params.client_id });
    if (details.params.scope) grant.addOIDCScope(details.params.scope);
    const resources = [details.params.resource ?? []].flat();
    for (const resource of resources) grant.addResourceScope(resource, '');
    const grantId = await grant.save();

    const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: sub },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(returnTo);
    return undefined;
  }

  return next();
});

const server = provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${ISSUER}, kids ${jwks.keys.map((key) => key.kid).join(' ')}`);
});
server.on('error', (error) => {
  console.error(`cannot listen on ${ISSUER}: ${error.message}`);
  process.exit(1);
});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  });
}
