// The page's only door to the server: JSON requests to /api/v1 and the error type they raise.
// Every failure (an HTTP error with the API's {"error":{code,message}} body, a body that is not
// JSON, or no connection at all) becomes an ApiError the views can show as it is.

/** An API failure with the server's stable code and its human message. */
export class ApiError extends Error {
  /**
   * @param {string} code snake_case code from the server, or a local one (network_error, bad_response)
   * @param {string} message human text
   * @param {number} status HTTP status, 0 when no response came
   */
  constructor(code, message, status) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

const PREFIX = '/api/v1';

/**
 * GET a JSON document from the API.
 * @param {string} path path below /api/v1, starting with '/'
 * @param {Record<string, string|number|undefined|null>} [params] query parameters; empty ones are left out
 * @param {AbortSignal} [signal] aborts the request (a newer search replaces an older one)
 */
export async function getJson(path, params = {}, signal) {
  const url = new URL(PREFIX + path, window.location.origin);
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  let response;
  try {
    response = await fetch(url, { headers: { Accept: 'application/json' }, signal });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError('network_error', 'The server could not be reached. Is musearch serve still running?', 0);
  }
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = body && body.error;
    if (error && typeof error.message === 'string') {
      throw new ApiError(String(error.code || 'error'), error.message, response.status);
    }
    throw new ApiError('http_' + response.status, `The server answered ${response.status} ${response.statusText}.`, response.status);
  }
  if (body === null) throw new ApiError('bad_response', 'The server sent something that is not JSON.', response.status);
  return body;
}

/** Path segment for a tag or track id (tags contain spaces: "no vocals"). */
export function segment(value) {
  return encodeURIComponent(value);
}
