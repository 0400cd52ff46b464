import { markup, raw, type Html } from '../html';
import { fmt, plural } from '../strings';
import { csrfField, type ViewContext } from './parts';

export type PageName = 'login' | 'inbox' | 'chat' | 'sessions' | 'search' | 'error';

interface PageOptions {
  title: string;
  page: PageName;
  body: Html;
  /** Data the browser script reads (e.g. the chat the page shows), as data-* attributes of <body>. */
  data?: Record<string, string>;
}

/** JSON for a <script type="application/json"> block: "<" escaped so no text can close the element. */
function jsonBlock(value: unknown): Html {
  return raw(JSON.stringify(value).replace(/</g, '\\u003c'));
}

export function page(v: ViewContext, { title, page: name, body, data = {} }: PageOptions): Html {
  const { t } = v;
  const nav: [PageName, string, string][] = [
    ['inbox', '/console/inbox', t.navInbox],
    ['sessions', '/console/sessions', t.navSessions],
    ['search', '/console/search', t.navSearch],
  ];
  const count = v.openEmergencies ?? 0;
  const emergencies = plural(t, 'openEmergencies', count);
  const dataAttributes = Object.entries({ page: name, ...data }).map(
    ([key, value]) => markup` data-${raw(key.replace(/[^a-z-]/g, ''))}="${value}"`,
  );
  const header = v.operator
    ? markup`<header class="top">
        <a class="brand" href="/console/inbox">${t.appName}</a>
        <nav aria-label="${t.mainNavigation}">
          <ul>
            ${nav.map(([key, href, label]) => {
              const current = key === name ? raw(' aria-current="page"') : '';
              const badge =
                key === 'inbox'
                  ? markup` <span id="emergency-count" class="count-badge"${count === 0 ? raw(' hidden') : ''} title="${emergencies}"><span aria-hidden="true">${count}</span><span class="visually-hidden">${emergencies}</span></span>`
                  : '';
              return markup`<li><a href="${href}"${current}>${label}${badge}</a></li>`;
            })}
          </ul>
        </nav>
        <div class="who">
          <span class="who-name">${fmt(t.signedInAs, { name: v.operator.displayName })}</span>
          <form method="post" action="/console/logout">
            ${csrfField(v)}<button type="submit" class="link-button">${t.signOut}</button>
          </form>
        </div>
        <p id="live" class="live" role="status" aria-live="polite"></p>
      </header>`
    : markup`<header class="top"><span class="brand">${t.appName}</span></header>`;

  return markup`<!doctype html>
<html lang="${v.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${title} · ${t.appName}</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body${dataAttributes}>
<a class="skip-link" href="#main">${t.skipToContent}</a>
${header}
<main id="main" tabindex="-1">
${body}
</main>
<script type="application/json" id="console-strings">${jsonBlock({ lang: v.lang, ...v.t.client })}</script>
<script src="/console/assets/console.js" defer></script>
</body>
</html>`;
}
