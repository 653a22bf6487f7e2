"use strict";
// The login-status iframe (OpenID Connect Session Management's check_session_iframe, as keycloak-js
// uses it). The page embedding it posts "CLIENT_ID SESSION_ID" (SESSION_ID: the `sid` of its
// tokens, or nothing) and gets back "unchanged", "changed" or "error". The answer compares the
// SHA-256 of SESSION_ID with the KEYCLOAK_SESSION cookie, which holds that digest for the SSO
// session this browser is signed in with (no cookie: signed out). Before anything but "error" is
// said, the server confirms once that the asking origin is one of that client's Web Origins; the
// iframe then answers only that client at that origin.

let verification = null;

window.addEventListener("message", (event) => {
  if (typeof event.data !== "string" || !event.source) {
    return;
  }
  const parts = event.data.split(" ");
  if (parts.length !== 2) {
    return;
  }
  const [clientId, sessionId] = parts;
  status(clientId, event.origin, sessionId)
    .catch(() => "error")
    .then((answer) => {
      try {
        event.source.postMessage(answer, event.origin);
      } catch {
        // An opaque origin ("null") cannot be answered.
      }
    });
});

async function status(clientId, origin, sessionId) {
  if (!(await cookiesReadable())) {
    // Without its cookies the page cannot tell: saying "changed" would sign the user out.
    return "error";
  }
  // One question to the server per iframe, for the first client and origin that ask.
  if (verification === null) {
    verification = verify(clientId, origin);
  }
  const verified = await verification;
  if (verified === null || verified.clientId !== clientId || verified.origin !== origin) {
    return "error";
  }
  const cookie = readCookie("KEYCLOAK_SESSION");
  if (cookie === null) {
    return sessionId === "" ? "unchanged" : "changed";
  }
  return (await digest(sessionId)) === cookie ? "unchanged" : "changed";
}

async function verify(clientId, origin) {
  const url = new URL(location.pathname + "/init", location.origin);
  url.searchParams.set("client_id", clientId);
  url.searchParams.set("origin", origin);
  try {
    const response = await fetch(url, { credentials: "omit", cache: "no-store" });
    return response.status === 204 ? { clientId, origin } : null;
  } catch {
    return null;
  }
}

function readCookie(name) {
  for (const pair of document.cookie.split(";")) {
    const at = pair.indexOf("=");
    if (at > 0 && pair.slice(0, at).trim() === name) {
      return pair.slice(at + 1).trim();
    }
  }
  return null;
}

// base64url(SHA-256(text)) without padding, as the server computes the cookie.
async function digest(text) {
  const hash = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(hash)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
