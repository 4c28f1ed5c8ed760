// The floor Worker (see wrangler.toml). POST {"targets": [url, …], "event": {…}}: one queue message
// per target (one send, or sendBatch for many), 202. The consumer POSTs each message's event to its
// target, all messages of a batch at once, and retries a 5xx or a failed connection after
// RETRY_DELAY_SECONDS, as the platform does.
export default {
  async fetch(request, env) {
    if (request.method !== "POST") return new Response('{"ok":true}', { headers: { "content-type": "application/json" } });
    const { targets, event } = await request.json();
    const body = JSON.stringify(event);
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
