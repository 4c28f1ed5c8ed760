/** @jsxImportSource hono/jsx */
// A labelled text input whose hint and error are tied to it with aria-describedby, keeping what
// was typed when the form comes back with an error.
import type { FC } from "hono/jsx";

export interface FieldProps {
  id: string;
  name?: string;
  label: string;
  value?: string;
  type?: "text" | "url" | "email" | "password" | "search";
  error?: string | undefined;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
  maxlength?: number;
  placeholder?: string;
  inputmode?: "numeric";
  /** id of a <datalist> of suggestions */
  list?: string;
}

export const describedBy = (id: string, hint: unknown, error: unknown) =>
  [hint ? `${id}-hint` : "", error ? `${id}-error` : ""].filter(Boolean).join(" ") || undefined;

export const FieldError: FC<{ id: string; error?: string | undefined }> = ({ id, error }) =>
  error ? <p class="error" id={`${id}-error`}>{error}</p> : null;

export const TextField: FC<FieldProps> = (props) => (
  <div class="field">
    <label for={props.id}>{props.label}</label>
    <input
      id={props.id}
      name={props.name ?? props.id}
      type={props.type ?? "text"}
      value={props.value ?? ""}
      required={props.required}
      autocomplete={props.autocomplete}
      maxlength={props.maxlength}
      placeholder={props.placeholder}
      inputmode={props.inputmode}
      list={props.list}
      aria-invalid={props.error ? "true" : undefined}
      aria-describedby={describedBy(props.id, props.hint, props.error)}
    />
    {props.hint ? <p class="hint" id={`${props.id}-hint`}>{props.hint}</p> : null}
    <FieldError id={props.id} error={props.error} />
  </div>
);
