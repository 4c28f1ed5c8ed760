/** @jsxImportSource hono/jsx */
// Sign-in (e-mail + admin API key, checked by the same rule as the API's Authorization header)
// and sign-out. The sign-in form has its own CSRF token, bound to a random cookie set with the
// form, so another site cannot sign a visitor in to its own account (login CSRF).
import { Hono, type Context } from "hono";
import type { UiEnv } from "../env";
import { authenticateCredentials } from "../../http/auth";
import { ApiError } from "../../errors";
import { readForm, text } from "../form";
import { assertSameOrigin, CSRF_FIELD, csrfToken, csrfTokenValid } from "../csrf";
import { clearCookie, readCookie, SIGN_IN_COOKIE, writeCookie } from "../cookies";
import { randomToken } from "../page-keys";
import { currentSession, endSession, startSession } from "../session";
import { redirectWithFlash, takeFlash } from "../flash";
import { requireCsrf, requireSession, safeNext } from "../middleware";
import { page } from "../render";
import { SignInPage } from "../pages/sign-in";

export const authRoutes = new Hono<UiEnv>();

/** The form's token, bound to a random value in a cookie (kept across reloads and tabs). */
async function signInToken(c: Context<UiEnv>): Promise<string> {
  let nonce = readCookie(c, SIGN_IN_COOKIE);
  if (!nonce || !/^[A-Za-z0-9_-]{22}$/.test(nonce)) nonce = randomToken();
  // Strict: the cookie is only needed by our own form posting to ourselves.
  writeCookie(c, SIGN_IN_COOKIE, nonce, 60 * 60, "Strict");
  return csrfToken(c.env.ADMIN_TOKEN, `sign-in.${nonce}`);
}

async function showForm(c: Context<UiEnv>, fields: { email: string; next: string; error?: string }, status: 200 | 400 | 401 | 403 = 200) {
  return page(c, <SignInPage {...fields} token={await signInToken(c)} flash={await takeFlash(c)} />, status);
}

authRoutes.get("/sign-in", async (c) => {
  const next = safeNext(c.req.query("next"));
  if (await currentSession(c)) return c.redirect(next, 303);
  return showForm(c, { email: "", next });
});

authRoutes.post("/sign-in", async (c) => {
  await assertSameOrigin(c);
  const form = await readForm(c);
  const email = text(form, "email");
  const next = safeNext(form.get("next"));
  const nonce = readCookie(c, SIGN_IN_COOKIE);
  if (!nonce || !(await csrfTokenValid(c.env.ADMIN_TOKEN, `sign-in.${nonce}`, form.get(CSRF_FIELD)))) {
    return showForm(c, { email, next, error: "This sign-in form expired or did not come from this site. Please try again." }, 403);
  }
  // "e-mail:key", as curl -u takes it, pasted whole into the key field.
  const typed = text(form, "key");
  const key = email && typed.toLowerCase().startsWith(`${email.toLowerCase()}:`) ? typed.slice(email.length + 1) : typed;
  if (!email || !key) return showForm(c, { email, next, error: "Enter your e-mail and your API key." }, 400);
  let principal;
  try {
    principal = await authenticateCredentials(c.env.DB, key, email);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      // One message for every case, so the form does not tell which e-mails or keys exist.
      return showForm(c, { email, next, error: "The e-mail or API key is not valid." }, 401);
    }
    throw error;
  }
  if (principal.role !== "admin") {
    return showForm(c, { email, next, error: "This is a producer key, which can only post events. Sign in with an admin key." }, 403);
  }
  clearCookie(c, SIGN_IN_COOKIE);
  await startSession(c, principal);
  return c.redirect(next, 303);
});

authRoutes.post("/sign-out", requireSession, requireCsrf, async (c) => {
  endSession(c);
  return redirectWithFlash(c, "/ui/sign-in", { kind: "success", text: "You are signed out." });
});
