/** @jsxImportSource hono/jsx */
// A row's Actions menu: <details> opens without JavaScript and is keyboard-operable.
import type { FC } from "hono/jsx";

export interface MenuItem {
  href: string;
  label: string;
}

export const ActionsMenu: FC<{ name: string; items: MenuItem[] }> = ({ name, items }) => (
  <details class="menu">
    <summary>
      Actions<span class="vh"> for {name}</span>
    </summary>
    <ul>
      {items.map((item) => (
        <li>
          <a href={item.href}>
            {item.label}
            <span class="vh"> {name}</span>
          </a>
        </li>
      ))}
    </ul>
  </details>
);
