// `npm run bench [-- --quick] [-- --only=ingest,e2e,quiet,ordered,storm,fanout,ceiling,throttle,memory,ops] [-- --fanouts=1,10] [-- --out=dir]`:
// the platform and the floor Worker side by side under `wrangler dev`, real receivers on 127.0.0.1,
// every scenario in turn; prints a table and writes <out>/latest.json and <out>/latest.svg
// (default bench/results), and what the platform logged to <out>/platform.log. See the Benchmark section of README.md.
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { startReceiver } from "../test/support/receiver.ts";
import { countOperations, PRICE_PER_MILLION, PRICES_CHECKED, startMetered, type OpsResult } from "./ops.ts";
import { peakWorkerdMemoryMb, startFloor, startOurs } from "./platforms.ts";
import { chart, judge, table } from "./report.ts";
import { FULL, QUICK, SCENARIOS, type Bench, type Figure } from "./scenarios.ts";

const args = process.argv.slice(2);
const option = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = args.includes("--quick");
const only = option("only")?.split(",");
const outDir = option("out") ?? "bench/results";
const wanted = (name: string) => !only || only.includes(name);
const unknown = only?.filter((name) => !(name in SCENARIOS) && name !== "memory" && name !== "ops");
if (unknown?.length) {
  console.error(`unknown scenario(s): ${unknown.join(", ")}; choose from ${[...Object.keys(SCENARIOS), "memory", "ops"].join(", ")}`);
  process.exit(2);
}
const fanouts = option("fanouts")?.split(",");
if (fanouts?.some((size) => !/^[1-9]\d{0,3}$/.test(size))) {
  console.error(`--fanouts takes webhook counts from 1 to 9999, separated by commas (as in --fanouts=1,10)`);
  process.exit(2);
}

const started = Date.now();
const interactive = process.stderr.isTTY;
function progress(text: string) {
  const line = `[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${text}`;
  process.stderr.write(interactive ? `\r\x1b[K${line}` : `${line}\n`);
}

async function main() {
  progress("starting the platform, the floor and the receiver");
  const receiver = await startReceiver();
  const sizes = { ...(quick ? QUICK : FULL), ...(fanouts && { fanouts: fanouts.map(Number) }) };
  const [ours, floor, metered] = await Promise.all([startOurs(), startFloor(), wanted("ops") ? startMetered() : undefined]);
  const bench: Bench = { ours, floor, receiver, sizes, progress };
  const figures: Figure[] = [];
  const failures: string[] = [];
  let ops: OpsResult | undefined;
  try {
    for (const [name, scenario] of Object.entries(SCENARIOS)) {
      if (!wanted(name)) continue;
      try {
        figures.push(...(await scenario(bench)));
      } catch (e) {
        failures.push(`${name}: ${(e as Error).message}`);
      }
    }
    if (wanted("memory")) {
      figures.push({ scenario: "memory", metric: "peak RSS of workerd", unit: "MB", floor: peakWorkerdMemoryMb(floor.pid), ours: peakWorkerdMemoryMb(ours.pid), better: "lower" });
    }
  } finally {
    // Kept for explaining a figure afterwards (a scenario that waited on a lease, a re-drive): what
    // the platform logged, warnings and errors included. Git ignores *.log.
    mkdirSync(outDir, { recursive: true });
    writeFileSync(join(outDir, "platform.log"), ours.output());
    await Promise.all([ours.stop(), floor.stop()]);
  }
  try {
    if (metered) ops = await countOperations(metered, receiver, sizes.opsEvents, progress);
  } catch (e) {
    failures.push(`ops: ${(e as Error).message}`);
  } finally {
    await receiver.close();
  }
  const targets = judge(figures, ops);
  const seconds = (Date.now() - started) / 1000;
  if (interactive) process.stderr.write("\r\x1b[K");
  console.log(table(figures, ops, targets));
  for (const failure of failures) console.log(`FAILED ${failure}`);
  const title = `edge-webhooks benchmark (${quick ? "quick" : "full"}), ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC`;
  mkdirSync(outDir, { recursive: true });
  const result = {
    date: new Date().toISOString(),
    mode: quick ? "quick" : "full",
    seconds,
    machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version },
    figures,
    targets,
    ops: ops && { ...ops, pricesChecked: PRICES_CHECKED, pricePerMillion: PRICE_PER_MILLION },
    failures,
  };
  writeFileSync(join(outDir, "latest.json"), JSON.stringify(result, null, 2) + "\n");
  writeFileSync(join(outDir, "latest.svg"), chart(figures, ops, title));
  console.log(`\n${seconds.toFixed(0)} s; wrote ${join(outDir, "latest.json")}, ${join(outDir, "latest.svg")} and the platform's output, ${join(outDir, "platform.log")}`);
  if (failures.length > 0) process.exitCode = 1;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
