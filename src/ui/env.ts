import type { AppEnv, Principal } from "../http/context";

/** A signed-in page user: the admin key they signed in with, re-checked on every request. */
export interface Session {
  /** Random per sign-in; the CSRF token is bound to it. */
  id: string;
  principal: Principal;
  expires: number;
}

export interface UiEnv {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    session: Session;
    csrf: string;
    /** The POSTed form, read once (size-limited) by the CSRF check. */
    form: URLSearchParams;
  };
}
