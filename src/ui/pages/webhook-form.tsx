/** @jsxImportSource hono/jsx */
// Create new webhook / Update: Name, Enable, Entity name, Events, Webhook URL, in the Wink order.
import type { FC } from "hono/jsx";
import { isScoped, Layout, type Viewer } from "../layout";
import { PostForm } from "../components/post-form";
import { describedBy, FieldError, TextField } from "../components/field";
import { ErrorSummary } from "../components/error-summary";
import type { EntityRow } from "../../db/entities";
import type { EventTypeRow } from "../../db/event-types";
import { OPERATIONAL_SOURCE } from "../../db/operational-catalog";
import { MAX_RATE_LIMIT } from "../../api/webhook-schemas";
import { NO_SOURCE, problemsOf, type FieldErrors, type WebhookFormValues } from "../webhook-input";

/** An event type the form offers: from the organization's catalog, or the built-in operational ones. */
export type EventTypeChoice = Pick<EventTypeRow, "source" | "name" | "description">;

export interface WebhookFormProps {
  viewer: Viewer;
  mode: "create" | "update";
  action: string;
  values: WebhookFormValues;
  errors: FieldErrors;
  entities: EntityRow[];
  eventTypes: EventTypeChoice[];
}

const sourceOf = (value: string) => value.slice(0, Math.max(0, value.indexOf(":")));

/** Every source the form must offer: of accounts, of the catalog, and of what is already chosen. */
function sourcesOf({ entities, eventTypes, values }: WebhookFormProps): string[] {
  const sources = new Set<string>([...entities.map((e) => e.source), ...eventTypes.map((t) => t.source)]);
  for (const value of values.events) if (sourceOf(value)) sources.add(sourceOf(value));
  if (values.target.startsWith("s:")) sources.add(values.target.slice(2));
  return [...sources].sort();
}

const EntitySelect: FC<WebhookFormProps> = (props) => {
  const { entities, values, errors } = props;
  const scoped = isScoped(props.viewer.portal);
  const bySource = Map.groupBy(entities, (e) => e.source);
  const chosenSource = values.target.startsWith("s:") ? values.target.slice(2) : undefined;
  const sourceWide = chosenSource === OPERATIONAL_SOURCE ? undefined : chosenSource;
  const hint = "The account this webhook listens to; its product (source) decides which events it can receive.";
  return (
    <div class="field">
      <label for="entity">Entity name</label>
      {entities.length === 0 ? (
        scoped ? (
          <p class="hint" id="entity-none">None of the accounts this page was opened for exists any more.</p>
        ) : (
          <p class="hint" id="entity-none">
            You have no accounts yet. A webhook for a product's events is bound to one of your accounts, so an account
            must be created first: <a href="/ui/entities">create an account on the Entities &amp; events page</a>.
          </p>
        )
      ) : null}
      <select
        id="entity"
        name="entity"
        aria-invalid={errors.entity ? "true" : undefined}
        aria-describedby={[entities.length === 0 ? "entity-none" : "", describedBy("entity", hint, errors.entity) ?? ""].filter(Boolean).join(" ")}
      >
        <option value="" selected={values.target === ""}>Choose an account…</option>
        {[...bySource.entries()].map(([source, group]) => (
          <optgroup label={source}>
            {group.map((e) => (
              <option value={`e:${e.id}`} selected={values.target === `e:${e.id}`}>{e.name}</option>
            ))}
            {sourceWide === source ? <option value={`s:${source}`} selected>{`Every ${source} account`}</option> : null}
          </optgroup>
        ))}
        {sourceWide && !bySource.has(sourceWide) ? (
          <optgroup label={sourceWide}>
            <option value={`s:${sourceWide}`} selected>{`Every ${sourceWide} account`}</option>
          </optgroup>
        ) : null}
        {/* A scoped session manages only webhooks of its accounts, never one bound to none or the platform's own events. */}
        {scoped ? null : (
          <optgroup label="Platform">
            <option value={`s:${OPERATIONAL_SOURCE}`} selected={chosenSource === OPERATIONAL_SOURCE}>Operational events of this organization</option>
          </optgroup>
        )}
        {scoped ? null : (
          <optgroup label="No account">
            <option value={NO_SOURCE} selected={values.target === NO_SOURCE}>None (usage notifications only)</option>
          </optgroup>
        )}
      </select>
      <p class="hint" id="entity-hint">{hint}</p>
      <FieldError id="entity" error={errors.entity} />
    </div>
  );
};

const EventChoices: FC<WebhookFormProps> = (props) => {
  const { eventTypes, values, errors } = props;
  const sources = sourcesOf(props);
  const hint = "Tick the events to receive, from the catalog of the account's source. Tick none to receive every event of that source.";
  return (
    <fieldset id="events" aria-describedby={describedBy("events", hint, errors.events)}>
      <legend>Events</legend>
      <p class="hint" id="events-hint">{hint}</p>
      {sources.length === 0 ? (
        <p>
          The event catalog is empty: <a href="/ui/entities#event-types">add event types</a> first.
        </p>
      ) : null}
      {sources.map((source) => {
        const catalog = eventTypes.filter((t) => t.source === source);
        // Subscriptions the catalog cannot show (wildcards such as booking.*) stay visible and ticked.
        const extra = values.events
          .filter((v) => sourceOf(v) === source)
          .map((v) => v.slice(source.length + 1))
          .filter((name) => !catalog.some((t) => t.name === name));
        const choices = [...catalog.map((t) => ({ name: t.name, description: t.description })), ...extra.map((name) => ({ name, description: null }))];
        return (
          <fieldset>
            <legend>{`${source} events`}</legend>
            {choices.length === 0 ? <p class="muted">No {source} event types in the catalog yet.</p> : null}
            {choices.map((choice, i) => {
              const value = `${source}:${choice.name}`;
              const id = `events-${source}-${i}`;
              return (
                <label class="check" for={id}>
                  <input type="checkbox" id={id} name="events" value={value} checked={values.events.includes(value)} />
                  <code>{choice.name}</code>
                  {choice.description ? <span class="muted">{choice.description}</span> : null}
                </label>
              );
            })}
          </fieldset>
        );
      })}
      <FieldError id="events" error={errors.events} />
    </fieldset>
  );
};

export const WebhookFormPage: FC<WebhookFormProps> = (props) => {
  const { viewer, mode, action, values, errors } = props;
  return (
    <Layout title={mode === "create" ? "Create new webhook" : `Update ${values.name || "webhook"}`} viewer={viewer} section="webhooks">
      <ErrorSummary problems={problemsOf(errors)} />
      <div class="card">
        <PostForm action={action} csrf={viewer.csrf}>
          <TextField id="name" label="Name" value={values.name} error={errors.name} hint="For example: Wink Stalker" maxlength={200} />
          <div class="field">
            <label class="check" for="enabled">
              <input
                type="checkbox"
                id="enabled"
                name="enabled"
                value="true"
                checked={values.enabled}
                aria-describedby={describedBy("enabled", true, errors.enabled)}
              />
              Enable
            </label>
            <p class="hint" id="enabled-hint">A disabled webhook is not called when events happen.</p>
            <FieldError id="enabled" error={errors.enabled} />
          </div>
          <EntitySelect {...props} />
          <EventChoices {...props} />
          <TextField
            id="postUrl"
            label="Webhook URL"
            type="url"
            value={values.postUrl}
            error={errors.postUrl}
            hint="Where the events are POSTed, for example https://my.system.com/webhook/wink"
            maxlength={2048}
          />
          <TextField
            id="rateLimit"
            label="Rate limit (deliveries per second)"
            value={values.rateLimit}
            error={errors.rateLimit}
            hint={`At most this many deliveries a second, from 1 to ${MAX_RATE_LIMIT}, still in order. Leave empty for no limit.`}
            inputmode="numeric"
            maxlength={7}
          />
          <div class="actions-row">
            <button type="submit">Save</button>
            <a class="button secondary" href="/ui/webhooks">Cancel</a>
          </div>
        </PostForm>
      </div>
    </Layout>
  );
};
