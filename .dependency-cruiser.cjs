// The layers of src/ (DESIGN.md, "Layout"), top to bottom: an import may only point to its own
// layer or one below it. `npm run check:layers` fails on any import against them and on any cycle.
const layers = [
  ["entry points", "src/(index|app)\\.ts$"],
  ["routes and pages", "src/(api|ui)/"],
  ["HTTP middleware", "src/http/"],
  // The rules of a webhook's life (create, change, remove, rotate, redeliver, test), for API and page.
  ["webhook rules", "src/webhooks/"],
  // Fan-out, the drain, the queue consumer, the HTTP client, signing.
  ["delivery", "src/delivery/"],
  ["observability", "src/observability/"],
  // The per-organization EventLog Durable Object and admission.
  ["event log", "src/ingest/"],
  ["notifications", "src/notifications/"],
  // The per-webhook WebhookSequencer Durable Object.
  ["sequencer", "src/sequencer/"],
  ["storage", "src/db/"],
  ["configuration, bindings, errors, logging and call rounds", "src/(config|env|log|errors|rounds)\\.ts$"],
  // The messages on the jobs queue: sent by the event log and the sequencers, consumed by delivery,
  // and the type of the JOBS binding (env.ts). They import nothing.
  ["queue messages", "src/queue/"],
];

const againstTheLayers = layers.slice(1).map(([name, path], index) => ({
  name: `${name} import upward`,
  comment: `${name} may not import ${layers.slice(0, index + 1).map(([above]) => above).join(", ")}`,
  severity: "error",
  from: { path },
  to: { path: layers.slice(0, index + 1).map(([, above]) => above) },
}));

module.exports = {
  forbidden: [
    { name: "no-cycles", severity: "error", from: {}, to: { circular: true } },
    ...againstTheLayers,
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "\\.d\\.ts$" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
  },
};
