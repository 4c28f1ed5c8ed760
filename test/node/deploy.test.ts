// `npm run deploy`'s decisions (scripts/deploy-steps.ts) against a fake wrangler that keeps an
// account's resources and answers as wrangler 4.164 prints (read from its source): nothing here
// reaches Cloudflare.
import { describe, expect, it } from "vitest";
import { unstable_readConfig } from "wrangler";
import { deploy, deployArguments, targetOf, type Target, type Wrangler } from "../../scripts/deploy-steps.ts";

const production = targetOf(unstable_readConfig({ config: "wrangler.toml" }));
const staging = targetOf(unstable_readConfig({ config: "wrangler.toml", env: "staging" }));

/** A command that worked: its answer on stdout, with a warning on stderr as wrangler often prints one. */
const printed = (stdout: string) => ({ code: 0, stdout, stderr: "▲ [WARNING] You are using an outdated version of Wrangler." });
/** A command that failed: wrangler prints its error on stderr. */
const failed = (stderr: string) => ({ code: 1, stdout: "", stderr });

/** A Cloudflare account as wrangler's commands see it. */
class FakeAccount {
  readonly databases = new Set<string>();
  readonly queues = new Set<string>();
  /** Deployed Workers and the names of their secrets. */
  readonly workers = new Map<string, Map<string, string>>();
  readonly commands: string[] = [];
  failing: { command: string; stderr: string } | undefined;

  readonly wrangler: Wrangler = async (args, options = {}) => {
    const command = args.join(" ");
    this.commands.push(options.secretsFile ? `${command} --secrets-file {${Object.keys(options.secretsFile).join(",")}}` : command);
    if (this.failing && command.startsWith(this.failing.command)) return failed(this.failing.stderr);
    const env = args.find((a) => a.startsWith("--env="))?.slice("--env=".length) || undefined;
    const worker = env ? `edge-webhooks-${env}` : "edge-webhooks";
    const [group, verb, name] = args;
    if (group === "d1" && verb === "list") {
      return printed(JSON.stringify([...this.databases].map((db, i) => ({ uuid: `uuid-${i}`, name: db, version: "production", num_tables: 0, file_size: 0 })), null, 2));
    }
    if (group === "d1" && verb === "create") {
      this.databases.add(name!);
      return printed(`✅ Successfully created DB '${name}' in region WEUR\nCreated your new D1 database.`);
    }
    if (group === "queues" && verb === "info") {
      return this.queues.has(name!)
        ? printed(`Queue Name: ${name}\nQueue ID: q-${name}\nNumber of Producers: 0\nNumber of Consumers: 0`)
        : failed(`✘ [ERROR] Queue "${name}" does not exist. To create it, run: wrangler queues create ${name}`);
    }
    if (group === "queues" && verb === "create") {
      this.queues.add(name!);
      return printed(`🌀 Creating queue '${name}'\n✅ Created queue '${name}'`);
    }
    if (group === "d1" && verb === "migrations") return printed("✅ No migrations to apply!");
    if (group === "secret" && verb === "list") {
      const secrets = this.workers.get(worker);
      if (!secrets) return failed(`✘ [ERROR] Worker "${worker}"${env ? ` (env: ${env})` : ""} not found.\n\nIf this is a new Worker, run \`wrangler deploy\` first to create it.`);
      return printed(JSON.stringify([...secrets.keys()].map((n) => ({ name: n, type: "secret_text" })), null, "  "));
    }
    if (group === "deploy") {
      const secrets = this.workers.get(worker) ?? new Map<string, string>();
      for (const [key, value] of Object.entries(options.secretsFile ?? {})) secrets.set(key, value);
      this.workers.set(worker, secrets);
      return printed(`Uploaded ${worker} (2.31 sec)\nDeployed ${worker} triggers (0.82 sec)\n  https://${worker}.acme.workers.dev\n  schedule: * * * * *`);
    }
    throw new Error(`the fake account does not know \`wrangler ${command}\``);
  };
}

async function deployTo(account: FakeAccount, target: Target, env = "", deployFlags: string[] = [], printed: string[] = []) {
  const configFlags = ["--config", "wrangler.toml", `--env=${env}`];
  const report = await deploy({ target, wrangler: account.wrangler, configFlags, deployFlags, environment: env || undefined, say: (line) => printed.push(line), newToken: () => "generated-token" });
  return { report, printed: printed.join("\n") };
}

describe("npm run deploy", () => {
  it("reads the resources to have from wrangler.toml: the database, the jobs queue and its dead-letter queue", () => {
    expect(production).toEqual({ worker: "edge-webhooks", database: "edge-webhooks", databaseBinding: "DB", queues: ["edge-webhooks-jobs", "edge-webhooks-dead"] });
  });

  it("on a fresh account creates the database and both queues, migrates, and deploys with a new ADMIN_TOKEN", async () => {
    const account = new FakeAccount();
    const { report, printed } = await deployTo(account, production);
    expect(account.commands).toEqual([
      "d1 list --json",
      "d1 create edge-webhooks",
      "queues info edge-webhooks-jobs",
      "queues create edge-webhooks-jobs",
      "queues info edge-webhooks-dead",
      "queues create edge-webhooks-dead",
      "d1 migrations apply DB --remote --config wrangler.toml --env=",
      "secret list --config wrangler.toml --env=",
      "deploy --config wrangler.toml --env= --secrets-file {ADMIN_TOKEN}",
    ]);
    expect(account.workers.get("edge-webhooks")?.get("ADMIN_TOKEN")).toBe("generated-token");
    expect(report).toEqual({ url: "https://edge-webhooks.acme.workers.dev", newAdminToken: "generated-token" });
    expect(printed).toContain("as printed before the deploy and not again");
    expect(printed).toContain(`curl -H "authorization: Bearer generated-token" -H 'content-type: application/json' \\\n    -d '{"id":"myorg","name":"My Org"}' https://edge-webhooks.acme.workers.dev/v1/admin/organizations`);
  });

  it("run again creates nothing and keeps the token it set before", async () => {
    const account = new FakeAccount();
    await deployTo(account, production);
    account.commands.length = 0;
    const { report, printed } = await deployTo(account, production);
    expect(account.commands.filter((c) => /\bcreate\b|--secrets-file/.test(c))).toEqual([]);
    expect(account.commands).toContain("d1 migrations apply DB --remote --config wrangler.toml --env=");
    expect(account.commands.at(-1)).toBe("deploy --config wrangler.toml --env=");
    expect(account.workers.get("edge-webhooks")?.get("ADMIN_TOKEN")).toBe("generated-token");
    expect(report.newAdminToken).toBeNull();
    expect(printed).not.toContain("generated-token");
    expect(printed).toContain("ADMIN_TOKEN was already set");
  });

  it("deploys staging beside production with its own names, every config-reading command under --env=staging", async () => {
    const account = new FakeAccount();
    await deployTo(account, production);
    account.commands.length = 0;
    const { report } = await deployTo(account, staging, "staging");
    expect(account.commands).toEqual([
      "d1 list --json",
      "d1 create edge-webhooks-staging",
      "queues info edge-webhooks-staging-jobs",
      "queues create edge-webhooks-staging-jobs",
      "queues info edge-webhooks-staging-dead",
      "queues create edge-webhooks-staging-dead",
      "d1 migrations apply DB --remote --config wrangler.toml --env=staging",
      "secret list --config wrangler.toml --env=staging",
      "deploy --config wrangler.toml --env=staging --secrets-file {ADMIN_TOKEN}",
    ]);
    expect(report.url).toBe("https://edge-webhooks-staging.acme.workers.dev");
  });

  it("stops before deploying when wrangler cannot say whether a queue exists", async () => {
    const account = new FakeAccount();
    account.failing = { command: "queues info", stderr: "✘ [ERROR] You are not authenticated. Please run `wrangler login`." };
    await expect(deployTo(account, production)).rejects.toThrow(/queues info edge-webhooks-jobs failed:\n.*wrangler login/);
    expect(account.commands.some((c) => c.startsWith("deploy"))).toBe(false);
  });

  it("shows a new ADMIN_TOKEN before deploying, so a deploy that fails after setting it does not lose it", async () => {
    const account = new FakeAccount();
    account.failing = { command: "deploy", stderr: "✘ [ERROR] You need a workers.dev subdomain in order to proceed." };
    const printed: string[] = [];
    await expect(deployTo(account, production, "", [], printed)).rejects.toThrow(/workers\.dev subdomain/);
    expect(printed.join("\n")).toContain("generated-token");
  });

  it("builds only, creating and migrating nothing, with --dry-run", async () => {
    const account = new FakeAccount();
    const { report } = await deployTo(account, production, "", ["--dry-run", "--outdir", "dist"]);
    expect(account.commands).toEqual(["deploy --config wrangler.toml --env= --dry-run --outdir dist"]);
    expect(report).toEqual({ url: null, newAdminToken: null });
  });

  it("names the environment in the command it prints for replacing staging's token", async () => {
    const account = new FakeAccount();
    await deployTo(account, staging, "staging");
    const { printed } = await deployTo(account, staging, "staging");
    expect(printed).toContain("`wrangler secret put ADMIN_TOKEN --env staging` replaces it");
  });

  it("does not deploy code whose migrations failed", async () => {
    const account = new FakeAccount();
    account.failing = { command: "d1 migrations apply", stderr: "✘ [ERROR] Migration 0002_notifications.sql failed" };
    await expect(deployTo(account, production)).rejects.toThrow(/d1 migrations apply DB --remote .* failed/);
    expect(account.commands.some((c) => c.startsWith("deploy"))).toBe(false);
  });
});

describe("npm run deploy's arguments", () => {
  it("take the environment from --env, else from CLOUDFLARE_ENV, and name it to every command", () => {
    expect(deployArguments(["--env", "staging", "--minify"], "other", "wrangler.toml")).toEqual({
      environment: "staging",
      configPath: "wrangler.toml",
      configFlags: ["--config", "wrangler.toml", "--env=staging"],
      deployFlags: ["--minify"],
    });
    expect(deployArguments([], "staging", "wrangler.toml").configFlags).toEqual(["--config", "wrangler.toml", "--env=staging"]);
    expect(deployArguments(["-c", "other.toml"], undefined, "wrangler.toml")).toMatchObject({ environment: undefined, configFlags: ["--config", "other.toml", "--env="], deployFlags: [] });
    expect(deployArguments(["--env="], "staging", "wrangler.toml").environment).toBeUndefined();
  });
});

describe("wrangler.toml", () => {
  it("hands a partial batch of jobs over at once in every environment, so a large fan-out's chunks wait for no batch to fill", () => {
    for (const env of [undefined, "staging"]) {
      const consumers: { queue: string; max_batch_timeout?: number }[] = unstable_readConfig({ config: "wrangler.toml", env }).queues.consumers ?? [];
      const jobs = consumers.filter((consumer) => !consumer.queue.endsWith("-dead"));
      expect(jobs.map((consumer) => consumer.max_batch_timeout)).toEqual([0]);
    }
  });
});
