// Calls to the services through this origin's /api/<service>/ paths (one domain, no CORS).
import { token } from "./auth.js";

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function call(service, path, { method = "GET", body, headers = {}, signedIn = false } = {}) {
  const sent = { ...headers };
  if (body !== undefined) sent["Content-Type"] = "application/json";
  if (signedIn) sent.Authorization = `Bearer ${token()}`;
  const response = await fetch(`/api/${service}${path}`, {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : {};
  if (!response.ok) throw new ApiError(response.status, data.message || response.statusText);
  return data;
}

// An S3 presigned POST with progress (fetch has no upload progress): resolves on 2xx.
export function postFile(post, file, onProgress) {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [name, value] of Object.entries(post.fields)) form.append(name, value);
    form.append("file", file);
    const request = new XMLHttpRequest();
    request.open("POST", post.url);
    request.upload.addEventListener("progress", (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    });
    request.addEventListener("load", () =>
      request.status >= 200 && request.status < 300
        ? resolve()
        : reject(new Error(`upload refused (${request.status})`)),
    );
    request.addEventListener("error", () => reject(new Error("network error")));
    request.send(form);
  });
}
