// A real HTTP receiver on 127.0.0.1 for delivery tests (and the benchmark): every request to
// POST /hook/<bucket> is recorded and answered by the bucket's script, given in the query
// `?script=503,503,200` (the nth request gets the nth entry; the last one repeats):
//   <status>        answer with that status and a small body
//   hang            never answer (until the client gives up)
//   stall           send 200 headers, then never finish the body (chunked)
//   stall-sized     the same, with a Content-Length the body never reaches
//   big             answer 200 with a 10,000-byte body
//   reset           destroy the connection without answering
//   redirect        302 to /elsewhere
//   slow:<ms>       answer 200 after <ms>
// or, with `?mix=200:60,503:20,hang:10,reset:5,400:5`, each request gets one of those answers at
// random with the given weights (the chaos suite).
// GET /log/<bucket> returns what the bucket received.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface Received {
  headers: Record<string, string>;
  body: string;
  receivedAt: number;
  answer: string;
}

export interface Receiver {
  port: number;
  url(bucket: string, script?: string): string;
  received(bucket: string): Received[];
  close(): Promise<void>;
}

export async function startReceiver(port = 0): Promise<Receiver> {
  const log = new Map<string, Received[]>();
  const held = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => void handle(req, res));

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const [, kind, bucket] = url.pathname.split("/");
    if (req.method === "GET" && kind === "log" && bucket) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(log.get(bucket) ?? []));
      return;
    }
    if (kind !== "hook" || !bucket) {
      res.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const entries = log.get(bucket) ?? [];
    const mix = url.searchParams.get("mix");
    const script = (url.searchParams.get("script") ?? "200").split(",");
    const answer = mix ? pickWeighted(mix) : script[Math.min(entries.length, script.length - 1)]!;
    entries.push({
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body: Buffer.concat(chunks).toString("utf8"),
      receivedAt: Date.now(),
      answer,
    });
    log.set(bucket, entries);
    respond(res, answer);
  }

  function respond(res: ServerResponse, answer: string) {
    if (answer === "hang") {
      held.add(res);
      res.on("close", () => held.delete(res));
      return;
    }
    if (answer === "stall" || answer === "stall-sized") {
      held.add(res);
      res.on("close", () => held.delete(res));
      res.writeHead(200, { "content-type": "text/plain", ...(answer === "stall-sized" ? { "content-length": "100" } : {}) });
      res.write("partial");
      return;
    }
    if (answer === "big") {
      res.writeHead(200, { "content-type": "text/plain" }).end("x".repeat(10_000));
      return;
    }
    if (answer === "reset") {
      res.socket?.destroy();
      return;
    }
    if (answer === "redirect") {
      res.writeHead(302, { location: "/elsewhere" }).end();
      return;
    }
    if (answer.startsWith("slow:")) {
      setTimeout(() => res.writeHead(200).end("slow ok"), Number(answer.slice(5)));
      return;
    }
    const status = Number(answer);
    res.writeHead(status, { "content-type": "text/plain" }).end(`answer ${status}`);
  }

  function pickWeighted(mix: string): string {
    const choices = mix.split(",").map((part) => {
      const at = part.lastIndexOf(":");
      return { answer: part.slice(0, at), weight: Number(part.slice(at + 1)) };
    });
    let roll = Math.random() * choices.reduce((sum, c) => sum + c.weight, 0);
    for (const choice of choices) {
      roll -= choice.weight;
      if (roll < 0) return choice.answer;
    }
    return choices.at(-1)!.answer;
  }

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actualPort = (server.address() as AddressInfo).port;
  return {
    port: actualPort,
    url: (bucket, script) => `http://127.0.0.1:${actualPort}/hook/${bucket}${script ? `?script=${script}` : ""}`,
    received: (bucket) => log.get(bucket) ?? [],
    close: () =>
      new Promise((resolve) => {
        for (const res of held) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
