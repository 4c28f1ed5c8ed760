// The layers of src/ (DESIGN.md, "Layout"), top to bottom: an import may only point to its own
// layer or one below it. `npm run check:layers` fails on any import against them and on any cycle.
const layers = [
  ["entry points", "src/(index|app)\\.ts$"],
  ["routes and pages", "src/(api|ui)/"],
  ["HTTP middleware", "src/http/"],
  ["webhook rules", "src/webhooks/"],
  ["delivery", "src/delivery/"],
  ["event log", "src/ingest/"],
  ["notifications", "src/notifications/"],
  ["sequencer", "src/sequencer/"],
  ["observability", "src/observability/"],
  ["storage", "src/db/"],
  ["configuration and logging", "src/(config|env|log|errors)\\.ts$"],
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
