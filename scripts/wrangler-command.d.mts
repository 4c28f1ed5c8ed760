/** The command and arguments for `wrangler ...args`, for spawn / spawnSync (wrangler-command.mjs). */
export function wranglerCommand(args: string[]): [string, string[]];
