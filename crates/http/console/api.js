// The console's only way to the server: the public /api endpoints with the session cookie and CSRF header.

/** An error answer of the API, carrying the reference error object. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    const details = error.details || {};
    // Validation errors keep their sentence in details.message, never in error.message.
    const sentence = typeof details.message === "string" && details.message ? details.message : null;
    const message = sentence || error.message || `The server answered ${status}`;
    super(message);
    this.status = status;
    this.code = error.code || `HTTP_${status}`;
    this.details = error.details;
    this.field = typeof details.field === "string" ? details.field : null;
  }
}

/** The session as the server described it (accountId, userId, principal, keyId, csrfToken, expiresAt). */
let session = null;
/** The user API-key sessions act as (x-alloy-userid), or null for the key's own user. */
let actingUser = null;
/** Called when any request finds the session gone (401): the app shows the sign-in view. */
let onSignedOut = () => {};

export function currentSession() {
  return session;
}

export function isApiKeySession() {
  return Boolean(session && session.principal === "apiKey");
}

/** The user the console acts as: the chosen one, else the session's own. */
export function effectiveUser() {
  return actingUser || (session && session.userId) || null;
}

export function getActingUser() {
  return actingUser;
}

/** Chooses the user to act as (API-key sessions only); empty or the own user means "myself". */
export function setActingUser(userId) {
  const value = (userId || "").trim();
  actingUser = value && session && value !== session.userId && isApiKeySession() ? value : null;
  try {
    if (actingUser) sessionStorage.setItem("alloy.actingUser", actingUser);
    else sessionStorage.removeItem("alloy.actingUser");
  } catch {
    // Storage may be unavailable; acting-as then lasts until reload.
  }
}

export function whenSignedOut(callback) {
  onSignedOut = callback;
}

/** A query string from an object, leaving out empty values (the API refuses empty filters). */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) {
    if (v === null || v === undefined || v === "") continue;
    q.set(k, String(v));
  }
  const text = q.toString();
  return text ? `?${text}` : "";
}

/**
 * One request. `options.asUser`: a user ID to act as for this request only; `options.own`: send
 * no x-alloy-userid even when acting as someone; `options.quiet401`: do not end the session on 401.
 */
export async function request(method, path, body, options = {}) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && method !== "HEAD" && session) headers["x-csrf-token"] = session.csrfToken;
  const asUser = options.own ? null : options.asUser !== undefined ? options.asUser : actingUser;
  if (asUser && isApiKeySession() && asUser !== session.userId) headers["x-alloy-userid"] = asUser;
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    });
  } catch (cause) {
    throw new ApiError(0, { error: { code: "NETWORK_ERROR", message: `The server could not be reached (${cause.message})` } });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { error: { code: `HTTP_${response.status}`, message: text.slice(0, 300) } };
    }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, data);
    if (response.status === 401 && session && !options.quiet401) {
      session = null;
      onSignedOut("Your session has ended (expired or signed out elsewhere). Sign in again.");
    }
    throw error;
  }
  return data;
}

export const get = (path, options) => request("GET", path, undefined, options);
export const post = (path, body, options) => request("POST", path, body === undefined ? {} : body, options);
export const put = (path, body, options) => request("PUT", path, body, options);
export const del = (path, options) => request("DELETE", path, undefined, options);

/** Reads the current session; null when not signed in. */
export async function loadSession() {
  try {
    session = await request("GET", "/api/console/session", undefined, { quiet401: true });
  } catch (error) {
    if (error.status === 401) {
      session = null;
      return null;
    }
    throw error;
  }
  restoreActingUser();
  return session;
}

function restoreActingUser() {
  actingUser = null;
  try {
    const saved = sessionStorage.getItem("alloy.actingUser");
    if (saved) setActingUser(saved);
  } catch {
    // No storage: act as the session's own user.
  }
}

/** Signs in with `{apiKey}` or `{userToken}`; the server sets the HttpOnly cookie. */
export async function signIn(credentials) {
  session = await request("POST", "/api/console/session", credentials, { quiet401: true });
  restoreActingUser();
  return session;
}

/** Signs out: the server forgets the session and clears the cookie. */
export async function signOut() {
  try {
    if (session) await request("DELETE", "/api/console/session", undefined, { quiet401: true });
  } finally {
    session = null;
    actingUser = null;
    try {
      sessionStorage.removeItem("alloy.actingUser");
    } catch {
      // Nothing stored.
    }
  }
}

/** Path segment encoding for API paths. */
export function p(value) {
  return encodeURIComponent(value);
}
