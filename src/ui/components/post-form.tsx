/** @jsxImportSource hono/jsx */
// Every form on the page posts through this, so none can forget its CSRF token. `novalidate`:
// the server's rules decide (one set, shared with the API) and their errors appear by the field.
import type { Child, FC } from "hono/jsx";
import { CSRF_FIELD } from "../csrf";

export const PostForm: FC<{ action: string; csrf: string; class?: string; label?: string; children?: Child }> = ({
  action,
  csrf,
  class: className,
  label,
  children,
}) => (
  <form method="post" action={action} class={className} aria-label={label} novalidate>
    <input type="hidden" name={CSRF_FIELD} value={csrf} />
    {children}
  </form>
);
