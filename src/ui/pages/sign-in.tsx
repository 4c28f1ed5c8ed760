/** @jsxImportSource hono/jsx */
// Sign-in with an organization's e-mail and one of its admin API keys.
import type { FC } from "hono/jsx";
import { Layout } from "../layout";
import { TextField } from "../components/field";
import { CSRF_FIELD } from "../csrf";
import type { Flash } from "../flash";

export interface SignInProps {
  email: string;
  next: string;
  token: string;
  error?: string | undefined;
  flash?: Flash | undefined;
}

export const SignInPage: FC<SignInProps> = ({ email, next, token, error, flash }) => (
  <Layout title="Sign in" flash={flash}>
    <div class="card narrow">
      {error ? (
        <p class="flash error" role="alert" id="sign-in-error">
          {error}
        </p>
      ) : null}
      <form method="post" action="/ui/sign-in" novalidate aria-describedby={error ? "sign-in-error" : undefined}>
        <input type="hidden" name={CSRF_FIELD} value={token} />
        <input type="hidden" name="next" value={next} />
        <TextField id="email" label="E-mail" type="email" value={email} autocomplete="username" required />
        <TextField
          id="key"
          label="API key"
          type="password"
          autocomplete="current-password"
          hint="An admin key of your organization (ewk_…), as issued by the operator."
          required
        />
        <button type="submit">Sign in</button>
      </form>
    </div>
  </Layout>
);
