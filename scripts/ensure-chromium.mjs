// Makes sure the browser suite has its browser: Debian's chromium package (playwright-core drives
// it; no browser is downloaded from anywhere else). Run by `npm test` and `npm run test:browser`,
// so a fresh machine with only Node gets it without a separate step.
//
// CHROMIUM_PATH names a browser to use instead: it must exist, and nothing is installed.
// Otherwise /usr/bin/chromium is installed with apt-get when missing: directly as root, through
// `sudo -n` otherwise (never prompting, so CI without a terminal fails instead of hanging).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const DEBIAN_CHROMIUM = "/usr/bin/chromium";

function fail(message) {
  console.error(`ensure-chromium: ${message}`);
  process.exit(1);
}

function run(command, args) {
  console.log(`ensure-chromium: ${[command, ...args].join(" ")}`);
  const result = spawnSync(command, args, {
    stdio: ["ignore", "inherit", "inherit"],
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
  if (result.error) return `${command} could not run: ${result.error.message}`;
  if (result.status !== 0) return `${[command, ...args].join(" ")} exited with ${result.status ?? result.signal}`;
  return null;
}

const chosen = process.env.CHROMIUM_PATH;
if (chosen) {
  if (!existsSync(chosen)) fail(`CHROMIUM_PATH is ${chosen}, which does not exist. Point it at a Chromium binary, or unset it to use Debian's chromium package.`);
  console.log(`ensure-chromium: using CHROMIUM_PATH=${chosen}`);
  process.exit(0);
}
if (existsSync(DEBIAN_CHROMIUM)) {
  console.log(`ensure-chromium: found ${DEBIAN_CHROMIUM}`);
  process.exit(0);
}

const howToFix = `Install it yourself (as root: apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium binary.`;
if (process.platform !== "linux" || !existsSync("/usr/bin/apt-get")) {
  fail(`${DEBIAN_CHROMIUM} is missing and this is not a Debian-like system with apt-get. ${howToFix}`);
}
const asRoot = process.getuid?.() === 0 ? [] : ["sudo", "-n"];
console.log(`ensure-chromium: ${DEBIAN_CHROMIUM} is missing; installing Debian's chromium package${asRoot.length ? " through sudo -n" : ""}`);
for (const args of [["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "chromium"]]) {
  const [command, ...rest] = [...asRoot, ...args];
  const problem = run(command, rest);
  if (problem) fail(`${problem}. ${howToFix}`);
}
if (!existsSync(DEBIAN_CHROMIUM)) fail(`apt-get installed chromium, but ${DEBIAN_CHROMIUM} is still missing. ${howToFix}`);
console.log(`ensure-chromium: installed ${DEBIAN_CHROMIUM}`);
