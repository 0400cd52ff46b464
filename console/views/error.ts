import { markup, type Html } from '../html';
import { page } from './layout';
import { notice, type ViewContext } from './parts';

export function errorPage(v: ViewContext, message: string): Html {
  const { t } = v;
  return page(v, {
    title: t.errorTitle,
    page: 'error',
    body: markup`<section class="card">
      <h1>${t.errorTitle}</h1>
      ${notice(message, 'error')}
      <p><a href="/console/inbox">${t.backToConsole}</a></p>
    </section>`,
  });
}
