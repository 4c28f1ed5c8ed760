// The benchmark's outputs: the table on the terminal, the targets met or not, latest.json and a
// chart (latest.svg) of every figure, ours beside the floor's.
import type { Figure } from "./scenarios.ts";
import type { OpCounts } from "../test/harness/ops-counts.ts";
import type { OpsResult } from "./ops.ts";
import { PER_ADDITIONAL_WEBHOOK, PRICES_CHECKED, WHY } from "./ops.ts";

export interface Target {
  name: string;
  wanted: string;
  reached: string;
  met: boolean;
}

const find = (figures: Figure[], scenario: string, metric: string) => figures.find((f) => f.scenario === scenario && f.metric.startsWith(metric));
const ratio = (f: Figure) => f.ours / f.floor;
const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? (Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(digits)) : "–");

/** Issue 14's targets (and the earlier ones it does not restate), judged on this run's figures and counts (those that ran). */
export function judge(figures: Figure[], ops: OpsResult | undefined): Target[] {
  const targets: Target[] = [];
  if (ops) {
    const { fanout1, fanout10 } = ops;
    const bothFanouts = (op: keyof OpCounts) => `${fmt(fanout1.perEvent[op] ?? 0, 2)} at fan-out 1, ${fmt(fanout10.perEvent[op] ?? 0, 2)} at fan-out 10`;
    const worst = (op: keyof OpCounts) => Math.max(fanout1.perEvent[op] ?? 0, fanout10.perEvent[op] ?? 0);
    targets.push({ name: "D1 rows written per event", wanted: "0", reached: bothFanouts("d1RowsWritten"), met: worst("d1RowsWritten") === 0 });
    targets.push({ name: "D1 rows read per event", wanted: "≤ 0.1 (amortized)", reached: bothFanouts("d1RowsRead"), met: worst("d1RowsRead") <= 0.1 });
    targets.push({
      name: "$ per million events, fan-out 1",
      wanted: "≤ $5",
      reached: `$${fanout1.dollarsPerMillion.toFixed(2)} (floor $${fanout1.floorDollarsPerMillion.toFixed(2)})`,
      met: fanout1.dollarsPerMillion <= 5,
    });
    targets.push({
      name: "$ per million events per additional webhook",
      wanted: "≤ $3",
      reached: `$${ops.dollarsPerMillionPerAdditionalWebhook.toFixed(2)} ((fan-out 10 $${fanout10.dollarsPerMillion.toFixed(2)} − fan-out 1) / 9; floor $${ops.floorDollarsPerMillionPerAdditionalWebhook.toFixed(2)})`,
      met: ops.dollarsPerMillionPerAdditionalWebhook <= 3,
    });
  }
  const ingest = figures.filter((f) => f.scenario === "ingest");
  const throughputs = ingest.filter((f) => f.metric.startsWith("throughput"));
  if (throughputs.length > 0) {
    const p50s = ingest.filter((f) => f.metric.startsWith("p50"));
    // The durable-ingest floor's own ratios show how much of the target an ingest that stores the
    // event before answering can reach here; its figures come in the same order of concurrency as ours.
    const durable = (kind: "req/s" | "p50", of: Figure[]) => {
      const against = ingest.filter((f) => f.metric.startsWith(`against the durable-ingest floor, ${kind}`));
      return against.length === of.length ? ` (the durable-ingest floor: ${against.map((d, i) => `${fmt(d.floor / of[i]!.floor, 2)}×`).join(", ")})` : "";
    };
    const each = (of: Figure[], kind: string) => of.map((f) => `${f.metric.slice(kind.length + 1)} ${fmt(ratio(f), 2)}× (${fmt(f.ours)} vs ${fmt(f.floor)} ${f.unit})`).join(", ");
    targets.push({ name: "ingest throughput", wanted: "≥ 0.7× floor at c=1, 16, 64", reached: each(throughputs, "throughput") + durable("req/s", throughputs), met: Math.min(...throughputs.map(ratio)) >= 0.7 });
    targets.push({ name: "ingest p50", wanted: "≤ 1.5× floor at c=1, 16, 64", reached: each(p50s, "p50") + durable("p50", p50s), met: Math.max(...p50s.map(ratio)) <= 1.5 });
  }
  const quiet = find(figures, "quiet", "p50");
  const quietP95 = find(figures, "quiet", "p95");
  if (quiet) {
    targets.push({
      name: "quiet p50",
      wanted: "≤ 100 ms from the 202 to the receiver",
      reached: `${fmt(quiet.ours)} ms, p95 ${fmt(quietP95?.ours ?? NaN)} ms (floor ${fmt(quiet.floor)} ms, p95 ${fmt(quietP95?.floor ?? NaN)} ms)`,
      met: quiet.ours <= 100,
    });
  }
  // Judged on the worse of the two events: the first (cold sequencers among them) and the next.
  for (const size of [10, 1000]) {
    const fan = figures.find((f) => f.scenario === "fan-out" && f.metric === `time to all ${size}`);
    if (!fan) continue;
    const again = figures.find((f) => f.scenario === "fan-out" && f.metric === `time to all ${size}, again`);
    // The least a design with one Durable Object per webhook takes (bench/floor/worker.js), beside it.
    const objects = (f: Figure) => figures.find((o) => o.scenario === "fan-out" && o.metric === `${f.metric}, against the per-webhook-object floor`);
    const reached = (f: Figure) => {
      if (!Number.isFinite(f.ours)) return `did not finish${f.note ? ` (${f.note})` : ""}`;
      const o = objects(f);
      const design = o && Number.isFinite(o.floor) ? `; the per-webhook-object floor ${fmt(o.floor, 0)} ms, ${fmt(o.floor / f.floor, 1)}× the floor, ours ${fmt(ratio(o), 2)}× it` : "";
      return `${fmt(ratio(f), 1)}× (${fmt(f.ours, 0)} vs ${fmt(f.floor, 0)} ms${design})`;
    };
    targets.push({
      name: `fan-out to ${size.toLocaleString("en")}`,
      wanted: "≤ 5× the floor's time",
      reached: `${reached(fan)}${again ? `; the next event, to the same webhooks: ${reached(again)}` : ""}`,
      met: Math.max(ratio(fan), again ? ratio(again) : 0) <= 5,
    });
  }
  const ordered = find(figures, "ordered", "deliveries");
  const breaks = find(figures, "ordered", "order breaks");
  const strict = find(figures, "ordered", "against the strict-order floor");
  if (ordered && breaks && strict) {
    targets.push({
      name: "ordered, one webhook",
      wanted: "≥ 0.9× the strict-order floor, no order break",
      reached: `${fmt(ratio(strict), 2)}× (${fmt(strict.ours)} vs ${fmt(strict.floor)}/s), ${breaks.ours} breaks; ${fmt(ratio(ordered), 2)}× the unordered floor's ${fmt(ordered.floor)}/s`,
      met: ratio(strict) >= 0.9 && breaks.ours === 0,
    });
  }
  const ceilings = figures.filter((f) => f.scenario === "eventlog ceiling");
  if (ceilings.length > 0) {
    targets.push({
      name: "EventLog ceiling, one organization",
      wanted: "measured (events/s accepted in batches of 100)",
      reached: `${ceilings.map((f) => `${f.metric.replace("events/s accepted ", "")} ${fmt(f.ours)}`).join(", ")} events/s`,
      met: Math.max(...ceilings.map((f) => f.ours)) > 0,
    });
  }
  const limited = find(figures, "throttle", "deliveries/s, limited to");
  const unlimited = find(figures, "throttle", "deliveries/s, the unlimited webhook");
  if (limited && unlimited) {
    const wanted = Number(/limited to (\d+)/.exec(limited.metric)![1]);
    targets.push({
      name: `throttle, ${wanted}/s`,
      wanted: `${wanted}/s ± 10 %, in order, the unlimited webhook beside it faster`,
      reached: `${fmt(limited.ours)}/s (${limited.note}); unlimited ${fmt(unlimited.ours)}/s (${unlimited.note})`,
      met: Math.abs(limited.ours - wanted) <= wanted * 0.1 && / 0 order breaks$/.test(limited.note ?? "") && unlimited.ours > limited.ours,
    });
  }
  const e2e = find(figures, "end to end", "p50");
  if (e2e) {
    targets.push({
      name: "end-to-end p50",
      wanted: "≤ 2.5× floor one-hop",
      reached: `${fmt(ratio(e2e), 2)}× (${fmt(e2e.ours)} vs ${fmt(e2e.floor)} ms)`,
      met: ratio(e2e) <= 2.5,
    });
  }
  const storm = find(figures, "retry storm", "healthy p50 storm/calm");
  const calm = find(figures, "retry storm", "healthy p50, calm");
  const hot = find(figures, "retry storm", "healthy p50, storm");
  if (storm && calm && hot) {
    targets.push({
      name: "503 storm",
      wanted: "healthy p50 ≤ 1.2× calm",
      reached: `${fmt(storm.ours, 2)}× (${fmt(hot.ours)} vs ${fmt(calm.ours)} ms; floor ${fmt(storm.floor, 2)}×)`,
      met: storm.ours <= 1.2,
    });
  }
  return targets;
}

export function table(figures: Figure[], ops: OpsResult | undefined, targets: Target[]): string {
  const rows = [["scenario", "figure", "floor", "ours", "ours/floor", "note"]];
  for (const f of figures) {
    const withUnit = (n: number) => (Number.isFinite(n) ? `${fmt(n)} ${f.unit}`.trim() : "–");
    rows.push([f.scenario, f.metric, withUnit(f.floor), withUnit(f.ours), Number.isFinite(ratio(f)) ? `${fmt(ratio(f), 2)}×` : "", f.note ?? ""]);
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => r.map((cell, c) => cell.padEnd(widths[c]!)).join("  ").trimEnd();
  const out = [line(rows[0]!), widths.map((w) => "─".repeat(w)).join("  "), ...rows.slice(1).map(line)];
  if (ops) {
    const { fanout1, fanout10 } = ops;
    out.push(
      "",
      `billable operations per delivered event (fan-out 1: ${fmt(fanout1.events, 0)} events; fan-out 10: ${fmt(fanout10.events, 0)} events to 10 webhooks each; prices of ${PRICES_CHECKED}):`,
      `  ${"operation".padEnd(18)} ${"fan-out 1".padStart(9)} ${"fan-out 10".padStart(10)}   why (at fan-out 1)`,
    );
    for (const op of Object.keys(WHY) as (keyof OpCounts)[]) {
      if (fanout1.perEvent[op] === undefined && fanout10.perEvent[op] === undefined) continue;
      out.push(`  ${op.padEnd(18)} ${fmt(fanout1.perEvent[op] ?? 0, 2).padStart(9)} ${fmt(fanout10.perEvent[op] ?? 0, 2).padStart(10)}   ${WHY[op]}`);
    }
    out.push(
      `  $ per million events: ours ${fanout1.dollarsPerMillion.toFixed(2)} at fan-out 1, ${fanout10.dollarsPerMillion.toFixed(2)} at fan-out 10; floor ${fanout1.floorDollarsPerMillion.toFixed(2)} and ${fanout10.floorDollarsPerMillion.toFixed(2)}`,
      `  $ per million events per additional webhook, (fan-out 10 − fan-out 1) / 9: ours ${ops.dollarsPerMillionPerAdditionalWebhook.toFixed(2)}, floor ${ops.floorDollarsPerMillionPerAdditionalWebhook.toFixed(2)}; ${PER_ADDITIONAL_WEBHOOK}`,
    );
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
    parts.push(`<text x="10" y="${y + 12}" font-weight="bold">US$ per million delivered events (prices of ${PRICES_CHECKED})</text>`);
    y += 20;
    const pairs = [
      ["fan-out 1", ops.fanout1.floorDollarsPerMillion, ops.fanout1.dollarsPerMillion],
      ["fan-out 10", ops.fanout10.floorDollarsPerMillion, ops.fanout10.dollarsPerMillion],
      ["per additional webhook", ops.floorDollarsPerMillionPerAdditionalWebhook, ops.dollarsPerMillionPerAdditionalWebhook],
    ] as const;
    for (const [label, floorValue, oursValue] of pairs) {
      parts.push(`<text x="20" y="${y + 18}" font-size="12">${label}</text>`);
      const max = Math.max(floorValue, oursValue) || 1;
      for (const [value, dy, colour] of [[floorValue, 2, "#9ca3af"], [oursValue, 16, "#2563eb"]] as const) {
        const width = Math.max(1, (value / max) * barWidth);
        parts.push(
          `<rect x="${labelWidth}" y="${y + dy}" width="${width.toFixed(1)}" height="12" fill="${colour}"/>`,
          `<text x="${labelWidth + width + 4}" y="${y + dy + 10}" font-size="11">$${value.toFixed(2)}</text>`,
        );
      }
      y += rowHeight;
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
