// The floor Worker (see wrangler.toml). POST {"targets": [url, …], "event": {…}}: one queue message
// per target (one send, or sendBatch for many), 202. The consumer POSTs each message's event to its
// target, all messages of a batch at once, and retries a 5xx or a failed connection after
// RETRY_DELAY_SECONDS, as the platform does.
//
// POST /durable takes the same body as POST / but first writes the event to D1 (one INSERT): the
// durable-ingest floor, the least any ingest does that has stored the event before it answers 202.
//
// POST /strict {"target": url, "type": …, "count": n} is the strict-order floor: the least any design
// can do that sends a webhook's deliveries one at a time and durably records each outcome before the
// next is sent. A loop of n iterations of one POST of {type, data: {n}} and one Durable Object call
// writing one row; it answers when the loop is done.
//
// POST /per-webhook-object takes the same body as POST / and is the per-webhook-object floor: the
// least any design with one Durable Object per webhook does for an event (DESIGN.md's sequencers).
// It answers 202 at once; then, for each target, one call to the target's own object writing one
// row (the delivery, stored in the webhook's order), the POST, and one more call writing one row
// (its outcome), six targets at a time (the connections an invocation may hold open). The first
// event to a target creates its object; the next finds it.
//
// A POST to any other path is a 404, so a floor the benchmark names but this Worker lacks fails the
// scenario instead of being measured as the plain floor.
import { DurableObject } from "cloudflare:workers";

export class OutcomeLog extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS outcomes (n INTEGER PRIMARY KEY, status INTEGER NOT NULL)");
  }

  record(n, status) {
    this.ctx.storage.sql.exec("INSERT OR REPLACE INTO outcomes (n, status) VALUES (?, ?)", n, status);
  }
}

async function strictLoop({ target, type, count }, env) {
  const log = env.OUTCOMES.get(env.OUTCOMES.idFromName(target));
  for (let n = 0; n < count; n++) {
    const response = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type, data: { n } }) });
    await response.arrayBuffer();
    await log.record(n, response.status);
  }
  return new Response(JSON.stringify({ sent: count }), { headers: { "content-type": "application/json" } });
}

const OPEN_CONNECTIONS = 6;

async function perWebhookObjects(targets, body, n, env) {
  let next = 0;
  const worker = async () => {
    while (next < targets.length) {
      const target = targets[next++];
      const object = env.OUTCOMES.get(env.OUTCOMES.idFromName(`per-webhook:${target}`));
      await object.record(n, 0);
      let status = 0;
      try {
        const response = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
        await response.arrayBuffer();
        status = response.status;
      } finally {
        await object.record(n, status);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(OPEN_CONNECTIONS, targets.length) }, worker));
}

let eventsTable;

export default {
  async fetch(request, env, ctx) {
    if (request.method !== "POST") return new Response('{"ok":true}', { headers: { "content-type": "application/json" } });
    const path = new URL(request.url).pathname;
    if (!["/", "/durable", "/strict", "/per-webhook-object"].includes(path)) return new Response('{"error":"no such floor"}', { status: 404, headers: { "content-type": "application/json" } });
    if (path === "/strict") return strictLoop(await request.json(), env);
    const { targets, event } = await request.json();
    const body = JSON.stringify(event);
    if (path === "/per-webhook-object") {
      ctx.waitUntil(perWebhookObjects(targets, body, event.data.n, env));
      return new Response('{"accepted":true}', { status: 202, headers: { "content-type": "application/json" } });
    }
    if (path === "/durable") {
      eventsTable ??= env.DB.prepare("CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, body TEXT NOT NULL, created INTEGER NOT NULL)").run();
      await eventsTable;
      await env.DB.prepare("INSERT INTO events (body, created) VALUES (?, ?)").bind(body, Date.now()).run();
    }
    const messages = targets.map((target) => ({ body: { target, body } }));
    if (messages.length === 1) await env.QUEUE.send(messages[0].body);
    else for (let i = 0; i < messages.length; i += 100) await env.QUEUE.sendBatch(messages.slice(i, i + 100));
    return new Response('{"accepted":true}', { status: 202, headers: { "content-type": "application/json" } });
  },

  async queue(batch, env) {
    const delaySeconds = Number(env.RETRY_DELAY_SECONDS);
    await Promise.all(
      batch.messages.map(async (message) => {
        try {
          const response = await fetch(message.body.target, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: message.body.body,
          });
          await response.arrayBuffer();
          if (response.status >= 500) message.retry({ delaySeconds });
          else message.ack();
        } catch {
          message.retry({ delaySeconds });
        }
      }),
    );
  },
};
