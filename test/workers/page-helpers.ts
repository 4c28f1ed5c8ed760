// The web page driven over HTTP from a test, as a browser would: cookies kept, each form's CSRF
// token read from the page that shows it, redirects answered rather than followed.
import { exports } from "cloudflare:workers";
import type { Tenant } from "./helpers";

const ORIGIN = "https://webhooks.test";

export interface PageAnswer {
  status: number;
  location: string | null;
  html: string;
}

export class PageSession {
  private readonly cookies = new Map<string, string>();

  async get(path: string): Promise<PageAnswer> {
    return this.send(new Request(`${ORIGIN}${path}`, { headers: this.headers(), redirect: "manual" }));
  }

  /** Posts the form of the page at `formPage` (its CSRF token included) to `action`, from our own origin unless `headers` say otherwise. */
  async submit(formPage: string, action: string, fields: Record<string, string>, headers: Record<string, string> = { origin: ORIGIN }): Promise<PageAnswer> {
    const token = csrfOf((await this.get(formPage)).html);
    const body = new URLSearchParams({ ...fields, _csrf: token }).toString();
    return this.send(
      new Request(`${ORIGIN}${action}`, {
        method: "POST",
        redirect: "manual",
        headers: { ...this.headers(), ...headers, "content-type": "application/x-www-form-urlencoded" },
        body,
      }),
    );
  }

  private headers(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ") } : {};
  }

  private async send(request: Request): Promise<PageAnswer> {
    const response = await exports.default.fetch(request);
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const eq = pair!.indexOf("=");
      this.cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
    }
    return { status: response.status, location: response.headers.get("location"), html: await response.text() };
  }
}

function csrfOf(html: string): string {
  const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
  if (!token) throw new Error("the page has no form with a CSRF token");
  return token;
}

/** A page session signed in with the tenant's admin key. */
export async function signedIn(tenant: Tenant): Promise<PageSession> {
  const session = new PageSession();
  const answer = await session.submit("/ui/sign-in", "/ui/sign-in", { email: tenant.email, key: tenant.key, next: "/ui/webhooks" });
  if (answer.status !== 303) throw new Error(`sign-in: ${answer.status}`);
  return session;
}
