// Sign-in: OAuth 2.0 authorization code flow with PKCE (S256) against the configured issuer's
// hosted UI (Cognito's when deployed; the local web server's stand-in locally).
let config = null;
const STORE = sessionStorage;

export function configure(appConfig) {
  config = appConfig;
}

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomText() {
  return base64url(crypto.getRandomValues(new Uint8Array(32)));
}

function redirectUri() {
  return `${location.origin}/signed-in`;
}

export async function signIn(returnTo = location.pathname) {
  const verifier = randomText();
  const state = randomText();
  const challenge = base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
  STORE.setItem("pkce", JSON.stringify({ verifier, state, returnTo }));
  const query = new URLSearchParams({
    response_type: "code",
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: "openid email",
    state,
    code_challenge: challenge,
    code_challenge_method: "S256",
  });
  location.assign(`${config.signInUrl}/oauth2/authorize?${query}`);
}

// The callback: exchange the code (once, with the verifier) for tokens; returns where to go.
export async function completeSignIn() {
  const query = new URLSearchParams(location.search);
  const pending = JSON.parse(STORE.getItem("pkce") || "null");
  STORE.removeItem("pkce");
  if (!pending || query.get("state") !== pending.state) throw new Error("sign-in state mismatch");
  const response = await fetch(`${config.signInUrl}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.clientId,
      code: query.get("code") || "",
      redirect_uri: redirectUri(),
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error("sign-in failed");
  const tokens = await response.json();
  STORE.setItem("idToken", tokens.id_token);
  return pending.returnTo || "/";
}

export function signOut() {
  STORE.removeItem("idToken");
  const query = new URLSearchParams({ client_id: config.clientId, logout_uri: `${location.origin}/` });
  location.assign(`${config.signInUrl}/logout?${query}`);
}

export function token() {
  return STORE.getItem("idToken");
}

export function user() {
  const idToken = token();
  if (!idToken) return null;
  const claims = JSON.parse(atob(idToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")));
  if (claims.exp * 1000 < Date.now()) {
    STORE.removeItem("idToken");
    return null;
  }
  return {
    sub: claims.sub,
    name: claims["cognito:username"] || claims.email || claims.sub,
    groups: claims["cognito:groups"] || [],
  };
}
