/** @jsxImportSource hono/jsx */
// Lists a form's problems at its top, each linking to its field, so keyboard and screen-reader
// users learn at once what to fix and can jump there.
import type { FC } from "hono/jsx";

export interface Problem {
  field: string;
  label: string;
  message: string;
}

export const ErrorSummary: FC<{ problems: Problem[] }> = ({ problems }) =>
  problems.length === 0 ? null : (
    <div class="flash error" role="alert" aria-labelledby="problems-title">
      <p id="problems-title"><strong>{problems.length === 1 ? "There is a problem" : `There are ${problems.length} problems`}</strong></p>
      <ul>
        {problems.map((p) => (
          <li>
            {p.field ? <a href={`#${p.field}`}>{`${p.label}: ${p.message}`}</a> : p.message}
          </li>
        ))}
      </ul>
    </div>
  );
