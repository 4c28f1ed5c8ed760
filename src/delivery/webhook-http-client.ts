// One HTTP attempt: POST with redirects left unfollowed, a timeout to connect and receive the
// headers, another to read the body, and the first 4 KB of the answer kept for the log.
import { declaredLength } from "./content-length";
import type { AttemptResult } from "../sequencer/records";

export const RESPONSE_SNIPPET_BYTES = 4096;
export const USER_AGENT = "edge-webhooks/1.0 (+https://github.com/edge-webhooks)";

export interface Timeouts {
  connectTimeoutMs: number;
  readTimeoutMs: number;
}

export async function postWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeouts: Timeouts,
): Promise<AttemptResult> {
  const started = Date.now();
  const controller = new AbortController();
  const finish = (partial: Omit<AttemptResult, "started" | "durationMs">): AttemptResult => ({
    started,
    durationMs: Date.now() - started,
    ...partial,
  });
  let timer = setTimeout(() => controller.abort("connect"), timeouts.connectTimeoutMs);
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      body,
      headers: { "content-type": "application/json", "user-agent": USER_AGENT, ...headers },
      redirect: "manual",
      signal: controller.signal,
    });
  } catch (e) {
    clearTimeout(timer);
    if (controller.signal.aborted) {
      return finish({ statusCode: null, errorKind: "timeout", error: `no response headers within ${timeouts.connectTimeoutMs} ms`, responseBody: null });
    }
    return finish({ statusCode: null, errorKind: "connection", error: (e as Error).message || String(e), responseBody: null });
  }
  clearTimeout(timer);
  timer = setTimeout(() => controller.abort("read"), timeouts.readTimeoutMs);
  try {
    const snippet = await readSnippet(response);
    const redirect = response.status >= 300 && response.status <= 399;
    return finish({
      statusCode: response.status,
      errorKind: redirect ? "redirect" : null,
      error: redirect ? `redirect to ${response.headers.get("location") ?? "(no location)"} not followed` : null,
      responseBody: snippet,
    });
  } catch (e) {
    if (controller.signal.aborted) {
      return finish({ statusCode: null, errorKind: "timeout", error: `response body not read within ${timeouts.readTimeoutMs} ms (status ${response.status})`, responseBody: null });
    }
    return finish({ statusCode: null, errorKind: "connection", error: `response body broken: ${(e as Error).message}`, responseBody: null });
  } finally {
    clearTimeout(timer);
  }
}

/** Reads the whole body (so the attempt is complete) but keeps only its first 4 KB as text. */
async function readSnippet(response: Response): Promise<string | null> {
  if (!response.body) return null;
  if (declaredLength(response.headers) <= RESPONSE_SNIPPET_BYTES) return response.text();
  const reader = response.body.getReader();
  const kept: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size < RESPONSE_SNIPPET_BYTES) kept.push(value.subarray(0, RESPONSE_SNIPPET_BYTES - size));
    size += value.byteLength;
  }
  const bytes = new Uint8Array(Math.min(size, RESPONSE_SNIPPET_BYTES));
  let offset = 0;
  for (const chunk of kept) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}
