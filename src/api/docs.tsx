/** @jsxImportSource hono/jsx */
// The API reference page at /docs, rendered on the server from the OpenAPI document itself, so it
// can never drift from the routes (no CDN, no JavaScript).
import type { FC } from "hono/jsx";

type Json = Record<string, any>;

const METHODS = ["get", "post", "put", "patch", "delete"] as const;

const refName = (schema: Json | undefined): string | undefined =>
  typeof schema?.$ref === "string" ? schema.$ref.split("/").pop() : undefined;

const SchemaLink: FC<{ schema?: Json }> = ({ schema }) => {
  if (!schema) return <span>—</span>;
  const name = refName(schema);
  if (name) return <a href={`#schema-${name}`}>{name}</a>;
  if (schema.type === "array") return <span>array of <SchemaLink schema={schema.items} /></span>;
  if (schema.type === "object" && schema.properties) {
    return <code>{`{ ${Object.keys(schema.properties).join(", ")} }`}</code>;
  }
  return <code>{Array.isArray(schema.type) ? schema.type.join(" | ") : (schema.type ?? (schema.anyOf ? "one of several" : "value"))}</code>;
};

const Operation: FC<{ method: string; path: string; op: Json }> = ({ method, path, op }) => {
  const body = op.requestBody?.content?.["application/json"]?.schema;
  return (
    <section class="op" id={`${method}-${path}`}>
      <h3>
        <span class={`method ${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
      </h3>
      <p>{op.summary}</p>
      {op.security ? <p class="muted">Auth: {op.security.map((s: Json) => Object.keys(s)[0]).join(" or ")}</p> : null}
      {op.parameters?.length ? (
        <table>
          <thead><tr><th>Parameter</th><th>In</th><th>Type</th><th>Description</th></tr></thead>
          <tbody>
            {op.parameters.map((p: Json) => (
              <tr><td><code>{p.name}</code>{p.required ? " *" : ""}</td><td>{p.in}</td><td><SchemaLink schema={p.schema} /></td><td>{p.description ?? p.schema?.description ?? ""}</td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {body ? <p>Body (JSON): <SchemaLink schema={body} /></p> : null}
      <table>
        <thead><tr><th>Status</th><th>Meaning</th><th>Body</th></tr></thead>
        <tbody>
          {Object.entries(op.responses ?? {}).map(([status, r]: [string, any]) => (
            <tr><td>{status}</td><td>{r.description}</td><td><SchemaLink schema={r.content?.["application/json"]?.schema} /></td></tr>
          ))}
        </tbody>
      </table>
    </section>
  );
};

const Schema: FC<{ name: string; schema: Json }> = ({ name, schema }) => (
  <section id={`schema-${name}`}>
    <h3>{name}</h3>
    {schema.properties ? (
      <table>
        <thead><tr><th>Field</th><th>Type</th><th>Description</th></tr></thead>
        <tbody>
          {Object.entries(schema.properties).map(([field, s]: [string, any]) => (
            <tr>
              <td><code>{field}</code>{schema.required?.includes(field) ? " *" : ""}</td>
              <td><SchemaLink schema={s} /></td>
              <td>{s.description ?? ""}{s.example !== undefined ? <span class="muted"> e.g. <code>{JSON.stringify(s.example)}</code></span> : null}</td>
            </tr>
          ))}
        </tbody>
      </table>
    ) : (
      <SchemaLink schema={schema} />
    )}
    {schema.example ? <pre>{JSON.stringify(schema.example, null, 2)}</pre> : null}
  </section>
);

export function docsPage(doc: Json) {
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]: [string, any]) =>
    METHODS.filter((m) => item[m]).map((method) => ({ method, path, op: item[method] as Json })),
  );
  const tags = [...new Set(operations.map((o) => o.op.tags?.[0] ?? "Other"))];
  return (
    "<!doctype html>" +
    (
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>{doc.info?.title} reference</title>
          <style>{`
            body{font:16px/1.5 system-ui,sans-serif;max-width:960px;margin:0 auto;padding:1rem;color:#1a1a1a}
            code,pre{font-family:ui-monospace,monospace;font-size:.9em} pre{background:#f4f4f4;padding:.5rem;overflow:auto}
            table{border-collapse:collapse;width:100%;margin:.5rem 0} th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
            .op{border-top:1px solid #ddd;padding-top:.5rem} .method{font-weight:700;padding:0 .3rem;border-radius:3px;color:#fff;background:#444}
            .get{background:#1d5e9e}.post{background:#2d6a2d}.put{background:#8a5a00}.delete{background:#a11d1d}.muted{color:#555}
            a{color:#0b57a4}
          `}</style>
        </head>
        <body>
          <h1>{doc.info?.title}</h1>
          <p>{doc.info?.description}</p>
          <p>The machine-readable document is at <a href="/openapi.json">/openapi.json</a>.</p>
          <nav>
            <ul>{tags.map((t) => <li><a href={`#tag-${t}`}>{t}</a></li>)}<li><a href="#schemas">Schemas</a></li></ul>
          </nav>
          {tags.map((tag) => (
            <section>
              <h2 id={`tag-${tag}`}>{tag}</h2>
              {operations.filter((o) => (o.op.tags?.[0] ?? "Other") === tag).map((o) => <Operation {...o} />)}
            </section>
          ))}
          <h2 id="schemas">Schemas</h2>
          {Object.entries(doc.components?.schemas ?? {}).map(([name, schema]) => <Schema name={name} schema={schema as Json} />)}
        </body>
      </html>
    ).toString()
  );
}
