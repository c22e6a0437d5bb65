// A small but real OpenID Connect provider for meldpunt's tests, with no npm dependencies:
// discovery, JWKS, an authorize endpoint that approves at once (for the user the test chose
// with POST /control/user, or a login_hint), and a token endpoint that checks the code, the
// redirect URI, the client's authentication and the PKCE verifier (S256). Tokens are RS256
// JWTs signed with a key pair made at start (node:crypto).
//
// Test controls (not part of OIDC):
//   POST /control/user    {"email": …, "name": …, "claims": {…}, "nonce": "…"}: who the next
//                         logins are (`nonce` replaces the login's nonce in the ID token)
//   POST /control/rotate  a new signing key; the old one leaves the JWKS
//   POST /control/mint    {"claims": {…}, "key": "current"|"previous"|"foreign", "kid": "…"}:
//                         an access token (claims override the defaults: iss, aud, exp, …)
//   GET  /control/stats   {"jwks_fetches": n, "token_requests": n}
//
// Usage: node oidc_provider.mjs --client-id ID [--client-secret S] [--audience A]
// It listens on 127.0.0.1 on a free port and prints `port=N` when it is ready.

import { createHash, createSign, generateKeyPairSync, randomBytes } from "node:crypto";
import { createServer } from "node:http";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, arg, i, all) => {
    if (arg.startsWith("--")) pairs.push([arg.slice(2), all[i + 1]]);
    return pairs;
  }, []),
);
const clientId = args["client-id"] ?? "meldpunt";
const clientSecret = args["client-secret"] ?? null;
const audience = args.audience ?? clientId;

const b64url = (buffer) => Buffer.from(buffer).toString("base64url");
const random = () => b64url(randomBytes(24));

function newKey() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const kid = `key-${random().slice(0, 12)}`;
  return { kid, privateKey, jwk: { ...publicKey.export({ format: "jwk" }), kid, alg: "RS256", use: "sig" } };
}

let current = newKey();
let previous = null;
const foreign = newKey(); // never published
// An encryption key beside the signing key, as Keycloak publishes: clients must skip it.
const encryption = { ...newKey().jwk, kid: "enc-1", alg: "RSA-OAEP", use: "enc" };

let issuer = "";
let user = null;
const codes = new Map();
const stats = { jwks_fetches: 0, token_requests: 0, logouts: [] };
const idTokens = new Set(); // every ID token issued, to recognise an id_token_hint

function sign(claims, key = current, kid = key.kid) {
  const header = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid }));
  const payload = b64url(JSON.stringify(claims));
  const signer = createSign("RSA-SHA256");
  signer.update(`${header}.${payload}`);
  return `${header}.${payload}.${b64url(signer.sign(key.privateKey))}`;
}

function baseClaims(who, aud) {
  const now = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    sub: `sub-${createHash("sha256").update(who.email ?? "").digest("hex").slice(0, 16)}`,
    aud,
    iat: now,
    exp: now + 300,
    jti: random(),
    email: who.email,
    email_verified: true,
    name: who.name ?? "Test Medewerker",
    ...(who.claims ?? {}),
  };
}

function send(response, status, body, headers = {}) {
  response.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...headers });
  response.end(JSON.stringify(body));
}

function redirect(response, target, params) {
  const url = new URL(target);
  url.searchParams.set("iss", issuer); // RFC 9207, on every answer
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  response.writeHead(302, { Location: url.toString() });
  response.end();
}

async function body(request) {
  const chunks = [];
  for await (const chunk of request) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function authorize(url, response) {
  const q = Object.fromEntries(url.searchParams);
  if (q.client_id !== clientId) return send(response, 400, { error: "invalid_client", error_description: "unknown client_id" });
  if (!q.redirect_uri) return send(response, 400, { error: "invalid_request", error_description: "redirect_uri missing" });
  if (q.response_type !== "code") return redirect(response, q.redirect_uri, { error: "unsupported_response_type", state: q.state });
  if (q.code_challenge_method !== "S256" || !q.code_challenge) {
    return redirect(response, q.redirect_uri, { error: "invalid_request", error_description: "PKCE S256 is required", state: q.state });
  }
  if (!(q.scope ?? "").split(" ").includes("openid")) {
    return redirect(response, q.redirect_uri, { error: "invalid_scope", state: q.state });
  }
  const who = q.login_hint ? { email: q.login_hint } : user;
  if (!who) return redirect(response, q.redirect_uri, { error: "login_required", state: q.state });
  const code = random();
  codes.set(code, {
    redirectUri: q.redirect_uri,
    challenge: q.code_challenge,
    nonce: who.nonce ?? q.nonce,
    who,
    expires: Date.now() + 60_000,
  });
  redirect(response, q.redirect_uri, { code, state: q.state });
}

function clientOf(request, form) {
  const header = request.headers.authorization ?? "";
  if (header.startsWith("Basic ")) {
    const [id, secret] = Buffer.from(header.slice(6), "base64").toString("utf8").split(":").map(decodeURIComponent);
    return { id, secret, method: "client_secret_basic" };
  }
  return { id: form.get("client_id"), secret: form.get("client_secret"), method: form.get("client_secret") ? "client_secret_post" : "none" };
}

// RP-Initiated Logout 1.0: ends "the session" and sends the browser back to the
// post_logout_redirect_uri; records what the client sent, and whether the hint is an ID
// token this provider issued.
function logout(url, response) {
  const hint = url.searchParams.get("id_token_hint");
  const back = url.searchParams.get("post_logout_redirect_uri");
  stats.logouts.push({
    client_id: url.searchParams.get("client_id"),
    post_logout_redirect_uri: back,
    hint_known: hint !== null && idTokens.has(hint),
  });
  if (!back) return send(response, 200, { logged_out: true });
  response.writeHead(302, { Location: back });
  response.end();
}

async function token(request, response) {
  stats.token_requests += 1;
  const form = new URLSearchParams(await body(request));
  const client = clientOf(request, form);
  if (client.id !== clientId) return send(response, 401, { error: "invalid_client", error_description: "unknown client" });
  if (clientSecret !== null && client.secret !== clientSecret) {
    return send(response, 401, { error: "invalid_client", error_description: "wrong or missing client secret" });
  }
  if (form.get("grant_type") !== "authorization_code") return send(response, 400, { error: "unsupported_grant_type" });
  const code = codes.get(form.get("code") ?? "");
  codes.delete(form.get("code") ?? "");
  if (!code || code.expires < Date.now()) return send(response, 400, { error: "invalid_grant", error_description: "unknown or used code" });
  if (form.get("redirect_uri") !== code.redirectUri) {
    return send(response, 400, { error: "invalid_grant", error_description: "redirect_uri differs from the authorization request" });
  }
  const verifier = form.get("code_verifier") ?? "";
  if (b64url(createHash("sha256").update(verifier).digest()) !== code.challenge) {
    return send(response, 400, { error: "invalid_grant", error_description: "PKCE verification failed" });
  }
  const idToken = sign({ ...baseClaims(code.who, clientId), nonce: code.nonce, azp: clientId });
  idTokens.add(idToken);
  const accessToken = sign(baseClaims(code.who, audience));
  send(response, 200, { access_token: accessToken, id_token: idToken, token_type: "Bearer", expires_in: 300 });
}

async function mint(request, response) {
  const wanted = JSON.parse((await body(request)) || "{}");
  const key = { current, previous, foreign }[wanted.key ?? "current"];
  if (!key) return send(response, 400, { error: "no such key" });
  const claims = { ...baseClaims({ email: wanted.email ?? null }, audience), ...(wanted.claims ?? {}) };
  send(response, 200, { token: sign(claims, key, wanted.kid ?? key.kid) });
}

const server = createServer(async (request, response) => {
  try {
    const url = new URL(request.url, issuer);
    const route = `${request.method} ${url.pathname}`;
    switch (route) {
      case "GET /.well-known/openid-configuration":
        return send(response, 200, {
          issuer,
          authorization_endpoint: `${issuer}/authorize`,
          token_endpoint: `${issuer}/token`,
          jwks_uri: `${issuer}/jwks`,
          response_types_supported: ["code"],
          subject_types_supported: ["public"],
          id_token_signing_alg_values_supported: ["RS256"],
          code_challenge_methods_supported: ["S256"],
          token_endpoint_auth_methods_supported: clientSecret === null ? ["none"] : ["client_secret_basic", "client_secret_post"],
          scopes_supported: ["openid", "email", "profile"],
          authorization_response_iss_parameter_supported: true,
          end_session_endpoint: `${issuer}/logout`,
        });
      case "GET /jwks":
        stats.jwks_fetches += 1;
        return send(response, 200, { keys: [current.jwk, encryption] });
      case "GET /authorize":
        return authorize(url, response);
      case "GET /logout":
        return logout(url, response);
      case "POST /token":
        return await token(request, response);
      case "POST /control/user":
        user = JSON.parse(await body(request));
        return send(response, 200, { ok: true });
      case "POST /control/rotate":
        previous = current;
        current = newKey();
        return send(response, 200, { kid: current.kid, previous: previous.kid });
      case "POST /control/mint":
        return await mint(request, response);
      case "GET /control/stats":
        return send(response, 200, stats);
      default:
        return send(response, 404, { error: "not_found", path: url.pathname });
    }
  } catch (error) {
    send(response, 500, { error: "server_error", error_description: String(error) });
  }
});

server.listen(0, "127.0.0.1", () => {
  const { port } = server.address();
  issuer = `http://127.0.0.1:${port}`;
  process.stdout.write(`port=${port}\n`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
