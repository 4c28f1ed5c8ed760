/** @jsxImportSource hono/jsx */
// Accounts (entities) that webhooks bind to, and the event-type catalog they subscribe from.
import type { FC } from "hono/jsx";
import { Layout, type Viewer } from "../layout";
import type { Flash } from "../flash";
import type { EntityRow } from "../../db/entities";
import type { EventTypeRow } from "../../db/event-types";
import { PostForm } from "../components/post-form";
import { TextField } from "../components/field";
import { ErrorSummary, type Problem } from "../components/error-summary";

export type FormErrors = Record<string, string>;

export interface EntitiesProps {
  viewer: Viewer;
  flash?: Flash | undefined;
  entities: EntityRow[];
  eventTypes: EventTypeRow[];
  /** Which form came back with errors, what was typed in it, and the errors by field id. */
  entityForm?: { values: Record<string, string>; errors: FormErrors };
  eventTypeForm?: { values: Record<string, string>; errors: FormErrors };
}

const LABELS: Record<string, string> = {
  "entity-source": "Source",
  "entity-name": "Account name",
  "event-source": "Source",
  "event-name": "Event type",
  "event-description": "Description",
};

const problems = (errors: FormErrors | undefined): Problem[] =>
  Object.entries(errors ?? {}).map(([field, message]) => ({ field: LABELS[field] ? field : "", label: LABELS[field] ?? "", message }));

/** Known products first, then any the organization already uses; free text is allowed too. */
const SourceSuggestions: FC<{ id: string; entities: EntityRow[]; eventTypes: EventTypeRow[] }> = ({ id, entities, eventTypes }) => (
  <datalist id={id}>
    {[...new Set(["wink", "trippay", ...entities.map((e) => e.source), ...eventTypes.map((t) => t.source)])].map((s) => (
      <option value={s} />
    ))}
  </datalist>
);

export const EntitiesPage: FC<EntitiesProps> = ({ viewer, flash, entities, eventTypes, entityForm, eventTypeForm }) => (
  <Layout title="Entities & events" viewer={viewer} section="entities" flash={flash}>
    <ErrorSummary problems={[...problems(entityForm?.errors), ...problems(eventTypeForm?.errors)]} />
    <section class="card" aria-labelledby="entities-title">
      <h2 id="entities-title">Accounts (entities)</h2>
      <p>A webhook for a product's events is bound to one of these accounts, or to all of a product's, so create the account first.</p>
      {entities.length === 0 ? (
        <p class="empty">No accounts yet.</p>
      ) : (
        <table class="stack">
          <caption class="vh">Accounts</caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Account name</th>
              <th scope="col">Created by</th>
              <th scope="col"><span class="vh">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {entities.map((e) => (
              <tr>
                <td data-label="Source">{e.source}</td>
                <td data-label="Account name">{e.name}</td>
                <td data-label="Created by">{e.createdBy}</td>
                <td>
                  <a href={`/ui/entities/${e.id}/remove`}>
                    Remove<span class="vh"> {e.name}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Create an account</h3>
      <PostForm action="/ui/entities" csrf={viewer.csrf}>
        <SourceSuggestions id="sources-entity" entities={entities} eventTypes={eventTypes} />
        <TextField
          id="entity-source"
          name="source"
          label="Source"
          value={entityForm?.values.source ?? "wink"}
          error={entityForm?.errors["entity-source"]}
          hint="The product: wink, trippay, …"
          list="sources-entity"
        />
        <TextField
          id="entity-name"
          name="name"
          label="Account name"
          value={entityForm?.values.name ?? ""}
          error={entityForm?.errors["entity-name"]}
          hint="For example: Cool Account"
        />
        <button type="submit">Create account</button>
      </PostForm>
    </section>

    <section class="card" aria-labelledby="event-types">
      <h2 id="event-types">Event types</h2>
      <p>The catalog webhooks choose their events from, per source.</p>
      {eventTypes.length === 0 ? (
        <p class="empty">The catalog is empty.</p>
      ) : (
        <table class="stack">
          <caption class="vh">Event types</caption>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Event type</th>
              <th scope="col">Description</th>
              <th scope="col"><span class="vh">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {eventTypes.map((t) => (
              <tr>
                <td data-label="Source">{t.source}</td>
                <td data-label="Event type"><code>{t.name}</code></td>
                <td data-label="Description">{t.description ?? <span class="muted">—</span>}</td>
                <td>
                  <a href={`/ui/event-types/${t.id}/remove`}>
                    Remove<span class="vh"> {t.source} {t.name}</span>
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Add an event type</h3>
      <PostForm action="/ui/event-types" csrf={viewer.csrf}>
        <SourceSuggestions id="sources-event" entities={entities} eventTypes={eventTypes} />
        <TextField
          id="event-source"
          name="source"
          label="Source"
          value={eventTypeForm?.values.source ?? "wink"}
          error={eventTypeForm?.errors["event-source"]}
          hint="The product whose events these are: wink, trippay, …"
          list="sources-event"
        />
        <TextField
          id="event-name"
          name="name"
          label="Event type"
          value={eventTypeForm?.values.name ?? ""}
          error={eventTypeForm?.errors["event-name"]}
          hint="Dot-separated lowercase words, for example booking.created"
        />
        <TextField
          id="event-description"
          name="description"
          label="Description (optional)"
          value={eventTypeForm?.values.description ?? ""}
          error={eventTypeForm?.errors["event-description"]}
        />
        <button type="submit">Add event type</button>
      </PostForm>
    </section>
  </Layout>
);
