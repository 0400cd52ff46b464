import { markup, type Html } from '../html';
import { page } from './layout';
import { notice, type ViewContext } from './parts';

export interface LoginView {
  /** The double-submit token also set as a cookie (the sign-in form's CSRF protection). */
  loginToken: string;
  username?: string;
  next?: string;
  error?: string;
  info?: string;
}

export function loginPage(v: ViewContext, view: LoginView): Html {
  const { t } = v;
  return page(v, {
    title: t.loginTitle,
    page: 'login',
    body: markup`<section class="login card">
      <h1>${t.loginTitle}</h1>
      <p>${t.loginIntro}</p>
      ${notice(view.error, 'error')}${notice(view.info)}
      <form method="post" action="/console/login" class="stack">
        <input type="hidden" name="_csrf" value="${view.loginToken}" />
        ${view.next ? markup`<input type="hidden" name="next" value="${view.next}" />` : ''}
        <label for="username">${t.username}</label>
        <input
          id="username"
          name="username"
          autocomplete="username"
          autocapitalize="none"
          spellcheck="false"
          required
          maxlength="64"
          value="${view.username ?? ''}"
          ${view.username ? '' : markup` autofocus`}
        />
        <label for="password">${t.password}</label>
        <input
          id="password"
          name="password"
          type="password"
          autocomplete="current-password"
          required
          maxlength="256"
          ${view.username ? markup` autofocus` : ''}
        />
        <button type="submit" class="primary">${t.signIn}</button>
      </form>
    </section>`,
  });
}
