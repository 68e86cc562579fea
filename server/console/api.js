// REST calls to this gateway only (the paths of the google.api.http annotations), with the tab's token.

export const PREFIX = "/runtime/go-pilot/rollback-drill-notifications/acknowledgements/audit-delivery";
export const DASHBOARD_PATH = "/runtime/go-pilot/rollback-drill-notifications/dashboard";
const TOKEN_KEY = "cavra-console-token";

export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// A failed call: the google.rpc.Status message and its field violations, in the server's words.
export class ApiError extends Error {
  constructor(httpStatus, status) {
    super(status.message || `the server answered HTTP ${httpStatus}`);
    this.httpStatus = httpStatus;
    this.code = status.code || 0;
    this.violations = [];
    this.reason = "";
    for (const detail of status.details || []) {
      for (const violation of detail.field_violations || detail.fieldViolations || []) {
        this.violations.push({ field: violation.field, description: violation.description });
      }
      if (detail.reason) this.reason = detail.reason;
    }
    // The gateway's own parse errors name the field only in the message (grpc-gateway's wording).
    const parsed = /parsing field "([^"]+)"/.exec(this.message);
    if (parsed && !this.violations.length) {
      this.violations.push({ field: parsed[1], description: this.message });
    }
  }
}

export function newRequestId() {
  return "console-" + crypto.randomUUID();
}

function url(path, query) {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query || {})) {
    if (value === undefined || value === null || value === "") continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, String(item));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

// One call: resolves to the JSON (or text for `raw`), rejects with ApiError.
export async function call(method, path, { query, body, raw = false } = {}) {
  const headers = { Accept: raw ? "*/*" : "application/json" };
  if (token()) headers.Authorization = `Bearer ${token()}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new ApiError(0, { code: 14, message: `the gateway cannot be reached (${error.message})` });
  }
  const text = await response.text();
  if (!response.ok) {
    let status;
    try {
      status = JSON.parse(text);
    } catch {
      status = { message: `the server answered HTTP ${response.status} ${response.statusText}` };
    }
    throw new ApiError(response.status, status);
  }
  if (raw) return text;
  return text ? JSON.parse(text) : {};
}

export const get = (path, query) => call("GET", path, { query });
export const post = (path, body) => call("POST", path, { body });
