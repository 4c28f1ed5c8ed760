// A message's declared size, read before its body: the webhook client skips streaming an answer
// short enough to read whole.
/** The Content-Length a message declares, or Infinity when it declares none (a chunked body). */
export function declaredLength(headers: Headers): number {
  const declared = headers.get("content-length");
  return declared !== null && /^\d+$/.test(declared) ? Number(declared) : Infinity;
}
