// Calls to the REST API under /api/v1/ with the session cookie; unsafe methods echo the CSRF token
// (the ecociv_csrf cookie set at sign-in) in the X-CSRF-Token header.
const API = "/api/v1";

function csrf() {
  const match = document.cookie.match(/(?:^|;\s*)ecociv_csrf=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : (detail && detail.message) || `HTTP ${status}`);
    this.status = status;
    this.problems = (detail && detail.problems) || [];
  }
}

export async function api(path, { method = "GET", body } = {}) {
  const headers = { Accept: "application/json" };
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const answer = await fetch(API + path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = answer.headers.get("content-type") || "";
  const data = type.includes("json") ? await answer.json() : await answer.text();
  if (!answer.ok) throw new ApiError(answer.status, data && data.detail !== undefined ? data.detail : data);
  return data;
}

export const url = (path) => API + path;

// Encode each segment of a relative file path (keeps the slashes).
export const encodePath = (path) => path.split("/").map(encodeURIComponent).join("/");
