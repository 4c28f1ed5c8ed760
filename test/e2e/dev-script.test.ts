// `npm run dev`, the README's first command, as a newcomer runs it: from a copy of the project (so
// the developer's own .dev.vars and .wrangler/ are never touched), with wrangler flags passed through.
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../support/dev-server";

const root = new URL("../..", import.meta.url).pathname;
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "edge-webhooks-project-"));
  for (const entry of ["package.json", "wrangler.toml", "src", "migrations", "scripts"]) cpSync(join(root, entry), join(project, entry), { recursive: true });
  symlinkSync(join(root, "node_modules"), join(project, "node_modules"));
});

afterAll(() => rmSync(project, { recursive: true, force: true }));

interface Run {
  child: ChildProcess;
  output(): string;
  /** Resolves with the printed welcome once seeding is done. */
  ready: Promise<{ base: string; adminKey: string; producerKey: string; adminToken: string }>;
  exited: Promise<number | null>;
}

function runDev(args: string[]): Run {
  const child = spawn(process.execPath, [join(project, "scripts", "dev.mjs"), ...args], {
    cwd: project,
    env: { ...process.env, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const ready = new Promise<Awaited<Run["ready"]>>((resolve, reject) => {
    const look = () => {
      const welcome = /running at (\S+)[\s\S]*Admin key:\s+joe@example\.com:(\S+)[\s\S]*Producer key:\s+(\S+)[\s\S]*Admin token:\s+(\S+)/.exec(output);
      if (welcome) resolve({ base: welcome[1]!, adminKey: welcome[2]!, producerKey: welcome[3]!, adminToken: welcome[4]! });
    };
    child.stdout!.on("data", (d) => ((output += d), look()));
    child.stderr!.on("data", (d) => (output += d));
    exited.then((code) => reject(new Error(`npm run dev exited ${code} before it was ready:\n${output}`)));
  });
  return { child, output: () => output, ready, exited };
}

/** Ctrl-C: wrangler leaves with 130, the shell convention for SIGINT, and takes workerd with it. */
async function stop(run: Run): Promise<number | null> {
  run.child.kill("SIGINT");
  return run.exited;
}

describe("npm run dev", () => {
  it("migrates, starts wrangler dev with the flags given, seeds myorg and prints keys that work", async () => {
    const port = await freePort();
    const run = runDev(["--port", String(port), "--ip", "127.0.0.1", "--var", "ADMIN_TOKEN:e2e-operator-token", "--show-interactive-dev-session=false"]);
    try {
      const { base, adminKey, producerKey, adminToken } = await run.ready;
      expect(base).toBe(`http://127.0.0.1:${port}`);
      expect(adminToken).toBe("e2e-operator-token");
      expect(run.output()).toContain(`The webhooks page:  ${base}/ui`);
      expect(readFileSync(join(project, ".dev.vars"), "utf8")).toMatch(/^ALLOW_PRIVATE_URLS=true$/m);

      const organization = await fetch(`${base}/v1/admin/organizations/myorg`, { headers: { authorization: "Bearer e2e-operator-token" } });
      expect(organization.status).toBe(200);
      const basic = `Basic ${Buffer.from(`joe@example.com:${adminKey}`).toString("base64")}`;
      const webhook = await fetch(`${base}/v1/mint/organizations/myorg/webhooks`, {
        method: "POST",
        headers: { authorization: basic, "content-type": "application/json" },
        body: JSON.stringify({ name: "Wink Stalker", postURL: "http://127.0.0.1:9/hook", enabled: true, source: "wink", entity: "Cool Account", events: ["booking.created"] }),
      });
      expect(webhook.status).toBe(201);
      const event = await fetch(`${base}/v1/organizations/myorg/events`, {
        method: "POST",
        headers: { authorization: `Bearer ${producerKey}`, "content-type": "application/json" },
        body: JSON.stringify({ type: "booking.created", entity: "Cool Account", data: { bookingId: 1 } }),
      });
      expect(event.status).toBe(202);
    } finally {
      expect(await stop(run)).toBe(130);
    }
  });

  it("keeps the local data and the printed keys from one run to the next", async () => {
    const first = runDev(["--port", String(await freePort()), "--show-interactive-dev-session=false"]);
    const { adminKey, adminToken } = await first.ready;
    expect(await stop(first)).toBe(130);
    expect(readFileSync(join(project, ".dev.vars"), "utf8")).toContain(`ADMIN_TOKEN=${adminToken}`);

    const again = runDev(["--port", String(await freePort()), "--show-interactive-dev-session=false"]);
    try {
      const second = await again.ready;
      expect(second.adminKey).toBe(adminKey);
      expect(again.output()).toContain("organization myorg already exists");
      const webhooks = await fetch(`${second.base}/v1/mint/organizations/myorg/webhooks`, { headers: { authorization: `Bearer ${second.adminKey}` } });
      expect(webhooks.status).toBe(200);
    } finally {
      expect(await stop(again)).toBe(130);
    }
  });
});
