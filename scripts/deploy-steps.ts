// What `npm run deploy` does, given a way to run wrangler: it asks what exists, creates what is
// missing, migrates, deploys, and says how to start. Every decision is here, apart from the process
// plumbing in deploy.ts, so it can be tested with a fake wrangler (test/node/deploy.test.ts).
//
// Why not leave it all to `wrangler deploy`: its automatic provisioning creates the D1 database
// (from `database_name`) and the queues bound as producers, but not a queue that is only consumed
// (the dead-letter queue: "Queue … does not exist"), and it would deploy the new code before the
// migrations it needs are applied. So the resources are made first, by name, and wrangler finds
// them by name when it deploys; wrangler.toml keeps no ids.

import { parseArgs } from "node:util";

/**
 * `npm run deploy`'s arguments: `--env` (else CLOUDFLARE_ENV, wrangler's own way to choose one; the
 * choice then goes to every command as a flag) and `--config`; everything else goes to `wrangler
 * deploy` as given.
 */
export function deployArguments(args: string[], cloudflareEnv: string | undefined, defaultConfig: string) {
  const { values, tokens } = parseArgs({
    args,
    options: { env: { type: "string", short: "e" }, config: { type: "string", short: "c" } },
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  // `--env=` (empty) chooses production even when CLOUDFLARE_ENV names another.
  const environment = (typeof values.env === "string" ? values.env : cloudflareEnv) || undefined;
  const configPath = typeof values.config === "string" ? values.config : defaultConfig;
  const chosen = new Set(
    tokens
      .filter((t) => t.kind === "option" && (t.name === "env" || t.name === "config"))
      .flatMap((t) => (t.kind === "option" && !t.inlineValue && t.value !== undefined ? [t.index, t.index + 1] : [t.index])),
  );
  return { environment, configPath, configFlags: ["--config", configPath, `--env=${environment ?? ""}`], deployFlags: args.filter((_, i) => !chosen.has(i)) };
}

export interface WranglerResult {
  code: number;
  /** What a `--json` command prints, kept apart from warnings and errors (stderr). */
  stdout: string;
  stderr: string;
}

/** Everything wrangler said, for messages and for errors shown to the user. */
const said = (result: WranglerResult) => `${result.stdout}\n${result.stderr}`.trim();

/** Runs `wrangler <args>`. `show`: let the user watch it (migrations, the deploy itself). */
export type Wrangler = (args: string[], options?: { show?: boolean; secretsFile?: Record<string, string> }) => Promise<WranglerResult>;

/** What one deployment (production, or a `--env`) consists of, as wrangler's config names it. */
export interface Target {
  worker: string;
  database: string;
  /** The D1 binding whose migrations are applied. */
  databaseBinding: string;
  /** Every queue the Worker produces to or consumes from, dead-letter queues included. */
  queues: string[];
}

/** The target from wrangler's own reading of the config (`unstable_readConfig`, environment applied). */
export function targetOf(config: {
  name?: string;
  d1_databases: { binding: string; database_name?: string }[];
  queues: { producers?: { queue: string }[]; consumers?: { queue: string; dead_letter_queue?: string }[] };
}): Target {
  const [database] = config.d1_databases;
  if (!config.name || !database?.database_name) throw new Error("wrangler.toml must name the Worker and its D1 database (database_name)");
  const queues = [
    ...(config.queues.producers ?? []).map((p) => p.queue),
    ...(config.queues.consumers ?? []).flatMap((c) => [c.queue, ...(c.dead_letter_queue ? [c.dead_letter_queue] : [])]),
  ];
  return { worker: config.name, database: database.database_name, databaseBinding: database.binding, queues: [...new Set(queues)] };
}

export interface DeployReport {
  url: string | null;
  /** The operator token, when this run generated it; otherwise the one set before stays and is not shown. */
  newAdminToken: string | null;
}

export interface DeployOptions {
  target: Target;
  wrangler: Wrangler;
  /**
   * The configuration and environment (`--env staging`, or `--env=` for production: named, so
   * wrangler does not warn that staging exists); every command that reads the config gets them.
   */
  configFlags: string[];
  /** Other flags given to `npm run deploy`, passed on to `wrangler deploy`. */
  deployFlags: string[];
  /** The `--env` deployed (undefined: production), for the commands it prints. */
  environment?: string | undefined;
  say: (line: string) => void;
  newToken: () => string;
}

export async function deploy({ target, wrangler, configFlags, deployFlags, environment, say, newToken }: DeployOptions): Promise<DeployReport> {
  const run = async (args: string[], options?: Parameters<Wrangler>[1]) => {
    const result = await wrangler(args, options);
    if (result.code !== 0) throw new Error(`wrangler ${args.join(" ")} failed:\n${said(result)}`);
    return result.stdout;
  };

  if (deployFlags.includes("--dry-run")) {
    // Only the build: nothing is created, migrated or uploaded.
    await run(["deploy", ...configFlags, ...deployFlags], { show: true });
    say("dry run: nothing was created, migrated or deployed");
    return { url: null, newAdminToken: null };
  }

  const databases = JSON.parse(await run(["d1", "list", "--json"])) as { name: string }[];
  if (databases.some((db) => db.name === target.database)) say(`D1 database ${target.database}: exists`);
  else {
    await run(["d1", "create", target.database]);
    say(`D1 database ${target.database}: created`);
  }

  for (const queue of target.queues) {
    // `queues list` prints a table of the first page only; `queues info` asks for the name itself.
    const info = await wrangler(["queues", "info", queue]);
    if (info.code === 0 && info.stdout.includes(`Queue Name: ${queue}`)) say(`queue ${queue}: exists`);
    else if (said(info).includes(`Queue "${queue}" does not exist`)) {
      await run(["queues", "create", queue]);
      say(`queue ${queue}: created`);
    } else throw new Error(`wrangler queues info ${queue} failed:\n${said(info)}`);
  }

  say(`applying D1 migrations to ${target.database} (remote)`);
  await run(["d1", "migrations", "apply", target.databaseBinding, "--remote", ...configFlags], { show: true });

  const secrets = await wrangler(["secret", "list", ...configFlags]);
  let names: string[];
  if (secrets.code === 0) names = (JSON.parse(secrets.stdout) as { name: string }[]).map((s) => s.name);
  else if (said(secrets).includes(`Worker "${target.worker}"`) && said(secrets).includes("not found")) names = []; // first deploy
  else throw new Error(`wrangler secret list failed:\n${said(secrets)}`);
  // Uploaded with the deploy (`--secrets-file` adds to the secrets already set), so the Worker never
  // runs without it; a token already set is left as it is.
  const newAdminToken = names.includes("ADMIN_TOKEN") ? null : newToken();
  // Shown before the deploy too: wrangler sets up routes and consumers after the upload that sets
  // the secret, so a deploy can fail with the token set, and the next run would not show it.
  if (newAdminToken) say(`ADMIN_TOKEN for ${target.worker}, uploaded with this deploy (keep it; \`${secretPut(environment)}\` replaces it):\n  ${newAdminToken}`);

  const output = await run(["deploy", ...configFlags, ...deployFlags], { show: true, ...(newAdminToken ? { secretsFile: { ADMIN_TOKEN: newAdminToken } } : {}) });
  const url = /https:\/\/[^\s]+\.workers\.dev/.exec(output)?.[0] ?? null;
  welcome(say, url, newAdminToken, environment);
  return { url, newAdminToken };
}

const secretPut = (environment: string | undefined) => `wrangler secret put ADMIN_TOKEN${environment ? ` --env ${environment}` : ""}`;

function welcome(say: (line: string) => void, url: string | null, newAdminToken: string | null, environment: string | undefined) {
  const base = url ?? "https://<your route>";
  const token = newAdminToken ?? "$ADMIN_TOKEN";
  say("");
  say(`Edge Webhooks is deployed${url ? ` at ${url}` : " (no workers.dev URL: see the routes wrangler printed)"}.`);
  if (newAdminToken) say(`Operator token (ADMIN_TOKEN), as printed before the deploy and not again; keep it safe:\n  ${newAdminToken}`);
  else say(`ADMIN_TOKEN was already set and is unchanged (\`${secretPut(environment)}\` replaces it).`);
  say("First steps:");
  say(`  curl ${base}/readyz`);
  say(`  curl -H "authorization: Bearer ${token}" -H 'content-type: application/json' \\\n    -d '{"id":"myorg","name":"My Org"}' ${base}/v1/admin/organizations`);
  say(`  curl -H "authorization: Bearer ${token}" -H 'content-type: application/json' \\\n    -d '{"email":"you@example.com","role":"admin"}' ${base}/v1/admin/organizations/myorg/keys`);
}
