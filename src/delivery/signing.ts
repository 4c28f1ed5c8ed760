// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the
// bytes behind a `whsec_<base64>` secret. Receivers verify them with the standardwebhooks/svix libraries.
import { decodeBase64, encodeBase64 } from "hono/utils/encode";

export function newSigningSecret(): string {
  return `whsec_${encodeBase64(crypto.getRandomValues(new Uint8Array(32)).buffer)}`;
}

/**
 * Standard Webhooks signatures, with each secret's HMAC key imported once: a drain signs every
 * delivery of its webhook with the same one or two secrets.
 */
export class Signer {
  private readonly keys = new Map<string, Promise<CryptoKey>>();
  private readonly encoder = new TextEncoder();

  /** The `webhook-signature` header: one signature per secret still valid (rotation overlap). */
  async header(secrets: string[], id: string, timestamp: number, body: string): Promise<string> {
    const content = this.encoder.encode(`${id}.${timestamp}.${body}`);
    // Outside a rotation there is one secret: no list of signatures to gather on every delivery.
    if (secrets.length === 1) return this.signature(secrets[0]!, content);
    return (await Promise.all(secrets.map((secret) => this.signature(secret, content)))).join(" ");
  }

  private async signature(secret: string, content: Uint8Array): Promise<string> {
    return `v1,${encodeBase64(await crypto.subtle.sign("HMAC", await this.key(secret), content))}`;
  }

  private key(secret: string): Promise<CryptoKey> {
    let key = this.keys.get(secret);
    if (!key) {
      key = crypto.subtle.importKey("raw", decodeBase64(secret.slice("whsec_".length)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      this.keys.set(secret, key);
    }
    return key;
  }
}
