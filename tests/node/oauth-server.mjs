// A real OAuth 2.0 authorization server (oidc-provider) for the credential tests.
//
// Started by tests/it/oauth.rs: `node oauth-server.mjs` listens on 127.0.0.1 (port 0 unless
// OAUTH_PORT is set) and prints one line `{"issuer": "http://127.0.0.1:PORT"}` when ready.
// Clients register themselves over HTTP (RFC 7591 dynamic registration at /reg). The login and
// consent screens are replaced by an automatic approval for the end user named by the
// `login_hint` authorization parameter (default `end-user-1`), so a test can drive the whole
// authorization-code flow with plain HTTP requests. Everything else is the provider's own
// behaviour: PKCE (S256) is required, codes are single use, refresh tokens rotate, the
// userinfo endpoint (/me) checks access tokens, and /token/revocation revokes them.
//
// ACCESS_TOKEN_TTL (seconds, default 3600) sets the access-token lifetime.
//
// It is also the OpenID Connect provider of the gateway's single sign-on tests
// (tests/it/mcp_sso.rs): ID tokens (RS256, keys at /jwks) carry the scopes' claims. An end user
// named like an email address has that `email`, verified unless the name starts with
// `unverified`, and a `tenant` claim: the domain's first label (`bob@acme.test` → `acme`).
//
// One test-only endpoint: `POST /test/expire-access-token` with a form field `token` destroys
// that access token alone (the grant and its refresh token stay valid), the way a platform
// invalidates an access token early. (RFC 7009 revocation of an access token revokes the whole
// grant in oidc-provider.)
import http from 'node:http';
import Provider from 'oidc-provider';

const accessTokenTtl = Number(process.env.ACCESS_TOKEN_TTL || 3600);

const server = http.createServer();
await new Promise((resolve) => server.listen(Number(process.env.OAUTH_PORT || 0), '127.0.0.1', resolve));
const issuer = `http://127.0.0.1:${server.address().port}`;

const provider = new Provider(issuer, {
  clients: [],
  features: {
    devInteractions: { enabled: false },
    registration: { enabled: true },
    revocation: { enabled: true },
  },
  pkce: { required: () => true },
  issueRefreshToken: async () => true,
  rotateRefreshToken: () => true,
  scopes: ['openid', 'offline_access', 'profile', 'email', 'tenant', 'read', 'write'],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], tenant: ['tenant'] },
  // The scopes' claims in the ID token itself, not only at the userinfo endpoint.
  conformIdTokenClaims: false,
  ttl: {
    AccessToken: accessTokenTtl,
    AuthorizationCode: 60,
    RefreshToken: 24 * 3600,
    Grant: 24 * 3600,
    Interaction: 600,
    Session: 3600,
  },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: async (_ctx, id) => ({
    accountId: id,
    claims: async () => {
      if (!id.includes('@')) return { sub: id };
      return {
        sub: id,
        email: id,
        email_verified: !id.startsWith('unverified'),
        tenant: id.split('@')[1].split('.')[0],
      };
    },
  }),
  cookies: { keys: ['alloy-test-cookie-key-0123456789'] },
  // Clear error messages in the token endpoint's answers help a failing test explain itself.
  renderError: async (ctx, out) => {
    ctx.type = 'json';
    ctx.body = out;
  },
});

const callback = provider.callback();
server.on('request', async (req, res) => {
  if (req.method === 'POST' && req.url === '/test/expire-access-token') {
    let body = '';
    for await (const chunk of req) body += chunk;
    const token = new URLSearchParams(body).get('token');
    const found = token ? await provider.AccessToken.find(token) : undefined;
    if (found) await found.destroy();
    res.statusCode = found ? 204 : 404;
    res.end();
    return;
  }
  if (req.url.startsWith('/interaction/')) {
    try {
      const details = await provider.interactionDetails(req, res);
      const accountId = details.params.login_hint || 'end-user-1';
      const grant = details.grantId
        ? await provider.Grant.find(details.grantId)
        : new provider.Grant({ accountId, clientId: details.params.client_id });
      grant.addOIDCScope(details.params.scope);
      const grantId = await grant.save();
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId }, consent: { grantId } },
        { mergeWithLastSubmission: false },
      );
    } catch (err) {
      res.statusCode = 400;
      res.setHeader('content-type', 'text/plain');
      res.end(`interaction failed: ${err.message}`);
    }
    return;
  }
  callback(req, res);
});

process.stdout.write(`${JSON.stringify({ issuer })}\n`);
