/** The browser side of the JSON API: the CSRF token from the session goes on every change. */
export class ApiError extends Error {
  constructor(readonly code: string, message: string, readonly status: number) {
    super(message);
  }
}

let csrfToken = '';

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

async function parse<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => ({}))) as { error?: { code: string; message: string } };
  if (!response.ok) throw new ApiError(body.error?.code ?? 'ERR_HTTP', body.error?.message ?? `HTTP ${response.status}`, response.status);
  return body as T;
}

/**
 * `signal`: the view's (main.ts aborts it when a newer view starts): the request is cancelled and the
 * promise rejects with an AbortError, which the view lets through to route(), which stops quietly.
 */
export async function getJson<T>(path: string, signal?: AbortSignal): Promise<T> {
  return parse<T>(await fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' }, ...(signal ? { signal } : {}) }));
}

/** `init`: more of fetch's options (keepalive, for a save that must outlive the page; a view's signal). */
export async function sendJson<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body: unknown, init: RequestInit = {}): Promise<T> {
  return parse<T>(
    await fetch(path, {
      ...init,
      method,
      credentials: 'same-origin',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: JSON.stringify(body),
    }),
  );
}

/** Multipart upload with progress (fetch cannot report upload progress; XHR can). */
export function uploadForm<T>(path: string, form: FormData, onProgress: (fraction: number) => void): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', path);
    xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      let body: { error?: { code: string; message: string } } = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        // not JSON
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body as T);
      else reject(new ApiError(body.error?.code ?? 'ERR_HTTP', body.error?.message ?? `HTTP ${xhr.status}`, xhr.status));
    };
    xhr.onerror = () => reject(new ApiError('ERR_NETWORK', 'the server cannot be reached', 0));
    xhr.send(form);
  });
}

/** A POST whose answer is a file (a backup): saved under the name the server gives, never opened here. */
export async function downloadPost(path: string, body: unknown): Promise<string> {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
    body: JSON.stringify(body),
  });
  if (!response.ok) await parse(response);
  const filename = /filename="([^"]+)"/.exec(response.headers.get('content-disposition') ?? '')?.[1] ?? 'download';
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return filename;
}
