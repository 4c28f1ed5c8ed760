import { OpenAPIHono, type z } from "@hono/zod-openapi";
import type { Env } from "../env";
import { badRequest, detailsFromZod, type ApiError } from "../errors";

/** Who is calling: the API key that authenticated the request. */
export interface Principal {
  keyId: string;
  orgId: string;
  email: string;
  role: "admin" | "producer";
  source: string | null;
}

/** What a request presents: its API key, split into id and secret, and the e-mail of HTTP Basic. */
export interface Credentials {
  keyId: string;
  secret: string;
  email?: string;
}

export interface AppEnv {
  Bindings: Env;
  // credentials: what ingest read from Authorization, checked later in its D1 batch.
  // ingestedEvents: how many events an ingest request stored (its metric).
  // emptyJsonBody: the request said JSON and sent nothing (jsonBody).
  Variables: { principal: Principal; credentials: Credentials; ingestedEvents: number; emptyJsonBody: boolean };
}

/** A router whose validation failures all become the platform's 400 error shape. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationError(result);
    },
  });
}

/** The 400 for a request part that fails its zod schema. */
export function validationError(result: { target: string; error: z.ZodError }): ApiError {
  const where = result.target === "json" ? "" : result.target === "param" ? "path" : result.target;
  return badRequest(describe(result.target), detailsFromZod(result.error, where));
}

function describe(target: string): string {
  switch (target) {
    case "json":
      return "The request body is not valid";
    case "query":
      return "The query string is not valid";
    case "param":
      return "The path is not valid";
    default:
      return `The request ${target} is not valid`;
  }
}
