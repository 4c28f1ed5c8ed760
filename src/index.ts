// The Worker's entry points: HTTP (API and page), the queue consumer, and the sequencer class.
import { app } from "./app";
import type { Env } from "./env";

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<Env>;
