// Standard Webhooks signatures: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, keyed with the
// bytes behind a `whsec_<base64>` secret. Receivers verify them with the standardwebhooks/svix libraries.

export function newSigningSecret(): string {
  return `whsec_${toBase64(crypto.getRandomValues(new Uint8Array(32)))}`;
}

/**
 * Standard Webhooks signatures, with each secret's HMAC key imported once: a drain signs every
 * delivery of its webhook with the same one or two secrets.
 */
export class Signer {
  private readonly keys = new Map<string, Promise<CryptoKey>>();

  /** The `webhook-signature` header: one signature per secret still valid (rotation overlap). */
  async header(secrets: string[], id: string, timestamp: number, body: string): Promise<string> {
    const content = new TextEncoder().encode(`${id}.${timestamp}.${body}`);
    const signatures = await Promise.all(
      secrets.map(async (secret) => `v1,${toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", await this.key(secret), content)))}`),
    );
    return signatures.join(" ");
  }

  private key(secret: string): Promise<CryptoKey> {
    let key = this.keys.get(secret);
    if (!key) {
      key = crypto.subtle.importKey("raw", fromBase64(secret.slice("whsec_".length)), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
      this.keys.set(secret, key);
    }
    return key;
  }
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}
