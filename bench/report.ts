// The benchmark's outputs: the table on the terminal, the targets met or not, latest.json and a
// chart (latest.svg) of every figure, ours beside the floor's.
import type { Figure } from "./scenarios.ts";
import type { OpsResult } from "./ops.ts";
import { PRICES_CHECKED, WHY } from "./ops.ts";

export interface Target {
  name: string;
  wanted: string;
  reached: string;
  met: boolean;
}

const find = (figures: Figure[], scenario: string, metric: string) => figures.find((f) => f.scenario === scenario && f.metric.startsWith(metric));
const ratio = (f: Figure) => f.ours / f.floor;
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(digits)) : "–");

/** The issue's targets, judged on the figures of this run (those whose scenario ran). */
export function judge(figures: Figure[]): Target[] {
  const targets: Target[] = [];
  const ingest = figures.filter((f) => f.scenario === "ingest");
  const throughputs = ingest.filter((f) => f.metric.startsWith("throughput"));
  if (throughputs.length > 0) {
    const worst = Math.min(...throughputs.map(ratio));
    const p50s = ingest.filter((f) => f.metric.startsWith("p50"));
    // The durable-ingest floor's own ratios show how much of the target an ingest that stores the
    // event before answering can reach here; its figures come in the same order of concurrency as ours.
    const durable = (kind: "req/s" | "p50", of: Figure[]) => {
      const against = ingest.filter((f) => f.metric.startsWith(`against the durable-ingest floor, ${kind}`));
      return against.length === of.length ? ` (the durable-ingest floor: ${against.map((d, i) => `${fmt(d.floor / of[i]!.floor, 2)}×`).join(", ")})` : "";
    };
    targets.push({ name: "ingest throughput", wanted: "≥ 0.7× floor at c=1, 16, 64", reached: throughputs.map((f) => `${fmt(ratio(f), 2)}×`).join(", ") + durable("req/s", throughputs), met: worst >= 0.7 });
    targets.push({ name: "ingest p50", wanted: "≤ 1.5× floor", reached: p50s.map((f) => `${fmt(ratio(f), 2)}×`).join(", ") + durable("p50", p50s), met: Math.max(...p50s.map(ratio)) <= 1.5 });
  }
  const e2e = find(figures, "end to end", "p50");
  if (e2e) targets.push({ name: "end-to-end p50", wanted: "≤ 2.5× floor one-hop", reached: `${fmt(ratio(e2e), 2)}× (${fmt(e2e.ours)} vs ${fmt(e2e.floor)} ms)`, met: ratio(e2e) <= 2.5 });
  const ordered = find(figures, "ordered", "deliveries");
  const breaks = find(figures, "ordered", "order breaks");
  const strict = find(figures, "ordered", "against the strict-order floor");
  if (ordered && breaks) {
    // The strict-order floor's own ratio shows how much of the 0.25× any strict design can reach here.
    const strictNote = strict ? ` (the strict-order floor: ${fmt(strict.floor)}/s, ${fmt(strict.floor / ordered.floor, 2)}×)` : "";
    targets.push({
      name: "ordered, one webhook",
      wanted: "≥ 200/s and ≥ 0.25× unordered floor, no order break",
      reached: `${fmt(ordered.ours)}/s, ${fmt(ratio(ordered), 2)}×, ${breaks.ours} breaks${strictNote}`,
      met: ordered.ours >= 200 && ratio(ordered) >= 0.25 && breaks.ours === 0,
    });
  }
  const f100 = find(figures, "fan-out", "time to all 100");
  const f1000 = find(figures, "fan-out", "time to all 1000");
  if (f100 && f1000) {
    const growth = f1000.ours / f100.ours;
    targets.push({
      name: "fan-out to 1,000",
      wanted: "finishes; 100→1,000 grows ≤ 10×",
      reached: Number.isFinite(f1000.ours) ? `${fmt(f1000.ours / 1000, 2)} s, ${fmt(growth, 1)}× the time for 100` : "did not finish",
      met: Number.isFinite(f1000.ours) && growth <= 10,
    });
  }
  const storm = find(figures, "retry storm", "healthy p50 storm/calm");
  if (storm) targets.push({ name: "503 storm", wanted: "healthy p50 ≤ 1.2× calm", reached: `${fmt(storm.ours, 2)}× (floor ${fmt(storm.floor, 2)}×)`, met: storm.ours <= 1.2 });
  return targets;
}

export function table(figures: Figure[], ops: OpsResult | undefined, targets: Target[]): string {
  const rows = [["scenario", "figure", "floor", "ours", "ours/floor", "note"]];
  for (const f of figures) {
    rows.push([f.scenario, f.metric, `${fmt(f.floor)} ${f.unit}`.trim(), `${fmt(f.ours)} ${f.unit}`.trim(), Number.isFinite(ratio(f)) ? `${fmt(ratio(f), 2)}×` : "", f.note ?? ""]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  const out = [line(rows[0]!), widths.map((w) => "─".repeat(w)).join("  "), ...rows.slice(1).map(line)];
  if (ops) {
    out.push("", `billable operations per delivered event (fan-out 1, ${ops.events} events; prices of ${PRICES_CHECKED}):`);
    for (const [op, n] of Object.entries(ops.perEvent)) out.push(`  ${op.padEnd(18)} ${fmt(n ?? 0, 2).padStart(7)}   ${WHY[op as keyof typeof WHY]}`);
    out.push(`  $ per million events: ours ${ops.dollarsPerMillion.toFixed(2)}, floor ${ops.floorDollarsPerMillion.toFixed(2)}`);
  }
  if (targets.length > 0) {
    out.push("", "targets:");
    for (const t of targets) out.push(`  ${t.met ? "met    " : "NOT MET"}  ${t.name}: ${t.reached}   (wanted ${t.wanted})`);
  }
  return out.join("\n");
}

const escape = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/** One horizontal pair of bars per figure (floor grey, ours blue, scaled to the larger), grouped by scenario. */
export function chart(figures: Figure[], ops: OpsResult | undefined, title: string): string {
  const shown = figures.filter((f) => Number.isFinite(f.floor) || Number.isFinite(f.ours));
  const rowHeight = 34;
  const labelWidth = 230;
  const barWidth = 430;
  const parts: string[] = [];
  let y = 60;
  let scenario = "";
  for (const f of shown) {
    if (f.scenario !== scenario) {
      scenario = f.scenario;
      y += 10;
      parts.push(`<text x="10" y="${y + 12}" font-weight="bold">${escape(scenario)}</text>`);
      y += 20;
    }
    const max = Math.max(Number.isFinite(f.floor) ? f.floor : 0, Number.isFinite(f.ours) ? f.ours : 0) || 1;
    const bar = (value: number, dy: number, colour: string) =>
      Number.isFinite(value)
        ? `<rect x="${labelWidth}" y="${y + dy}" width="${Math.max(1, (value / max) * barWidth).toFixed(1)}" height="12" fill="${colour}"/>` +
          `<text x="${labelWidth + Math.max(1, (value / max) * barWidth) + 4}" y="${y + dy + 10}" font-size="11">${fmt(value)} ${escape(f.unit)}</text>`
        : `<text x="${labelWidth}" y="${y + dy + 10}" font-size="11">–</text>`;
    const r = ratio(f);
    parts.push(
      `<text x="20" y="${y + 18}" font-size="12">${escape(f.metric)}</text>`,
      bar(f.floor, 2, "#9ca3af"),
      bar(f.ours, 16, "#2563eb"),
      Number.isFinite(r) ? `<text x="${labelWidth + barWidth + 90}" y="${y + 18}" font-size="12" text-anchor="end">${fmt(r, 2)}×</text>` : "",
    );
    y += rowHeight;
  }
  if (ops) {
    y += 10;
    parts.push(`<text x="10" y="${y + 12}" font-weight="bold">cost per million delivered events (fan-out 1, prices of ${PRICES_CHECKED})</text>`);
    y += 20;
    const max = Math.max(ops.dollarsPerMillion, ops.floorDollarsPerMillion) || 1;
    for (const [label, value, colour] of [["floor", ops.floorDollarsPerMillion, "#9ca3af"], ["ours", ops.dollarsPerMillion, "#2563eb"]] as const) {
      parts.push(
        `<text x="20" y="${y + 11}" font-size="12">${label}</text>`,
        `<rect x="${labelWidth}" y="${y + 1}" width="${((value / max) * barWidth).toFixed(1)}" height="12" fill="${colour}"/>`,
        `<text x="${labelWidth + (value / max) * barWidth + 4}" y="${y + 11}" font-size="11">$${value.toFixed(2)}</text>`,
      );
      y += 18;
    }
  }
  const width = labelWidth + barWidth + 100;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 20}" font-family="sans-serif">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="22" font-size="16" font-weight="bold">${escape(title)}</text>
<rect x="10" y="34" width="12" height="12" fill="#9ca3af"/><text x="26" y="44" font-size="12">floor</text>
<rect x="80" y="34" width="12" height="12" fill="#2563eb"/><text x="96" y="44" font-size="12">ours</text>
<text x="${width - 10}" y="44" font-size="12" text-anchor="end">ours/floor</text>
${parts.join("\n")}
</svg>
`;
}
