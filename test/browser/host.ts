// A host product's page for the portal tests, on an origin of its own (http://localhost:<port>,
// another site than the platform's http://127.0.0.1:<port>): it frames a portal link, as Wink's
// Studio does, and can carry a form another site aims at the framed page (a CSRF attempt).
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface Host {
  origin: string;
  /** A page framing `src` in an iframe named "portal". */
  embed(src: string): string;
  /** The same page with a form posting `fields` to `action` inside that frame. */
  attack(src: string, action: string, fields: Record<string, string>): string;
  close(): Promise<void>;
}

const escape = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export async function startHost(): Promise<Host> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const src = url.searchParams.get("src") ?? "about:blank";
    const action = url.searchParams.get("action");
    const fields = JSON.parse(url.searchParams.get("fields") ?? "{}") as Record<string, string>;
    const form = action
      ? `<form method="post" action="${escape(action)}" target="portal">${Object.entries(fields)
          .map(([name, value]) => `<input type="hidden" name="${escape(name)}" value="${escape(value)}">`)
          .join("")}<button type="submit">Win a prize</button></form>`
      : "";
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
    res.end(`<!doctype html><title>Wink Studio</title><h1>Wink Studio</h1>${form}<iframe name="portal" title="Webhooks" src="${escape(src)}" width="1200" height="900"></iframe>`);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    embed: (src) => `${origin}/?src=${encodeURIComponent(src)}`,
    attack: (src, action, fields) => `${origin}/?src=${encodeURIComponent(src)}&action=${encodeURIComponent(action)}&fields=${encodeURIComponent(JSON.stringify(fields))}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // The browser keeps its connections open; they would hold close() until they time out.
        server.closeAllConnections();
      }),
  };
}
