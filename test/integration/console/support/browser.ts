/**
 * A minimal browser for the console's API-level tests: cookies, forms with the page's CSRF token, redirects
 * left visible (the tests assert on them).
 */

export interface Page {
  status: number;
  location: string | null;
  setCookies: string[];
  contentType: string;
  text: string;
}

export class ConsoleClient {
  readonly cookies = new Map<string, string>();
  /** The CSRF token of the last page that had a form. */
  csrf = '';
  /** The reply form's request key of the last chat page. */
  requestKey = '';

  constructor(readonly baseUrl: string) {}

  private remember(res: Response): string[] {
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) {
      const [pair = ''] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      if (/Max-Age=0/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return setCookies;
  }

  private cookieHeader(): Record<string, string> {
    if (this.cookies.size === 0) return {};
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  async request(
    method: string,
    path: string,
    opts: { form?: Record<string, string>; headers?: Record<string, string> } = {},
  ): Promise<Page> {
    const headers: Record<string, string> = { ...this.cookieHeader(), ...(opts.headers ?? {}) };
    let body: string | undefined;
    if (opts.form) {
      body = new URLSearchParams(opts.form).toString();
      headers['content-type'] ??= 'application/x-www-form-urlencoded';
    }
    const res = await fetch(`${this.baseUrl}${path}`, { method, headers, body, redirect: 'manual' });
    const setCookies = this.remember(res);
    const text = await res.text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(text)?.[1];
    if (csrf) this.csrf = csrf;
    const key = /name="requestKey" value="([^"]+)"/.exec(text)?.[1];
    if (key) this.requestKey = key;
    return {
      status: res.status,
      location: res.headers.get('location'),
      setCookies,
      contentType: res.headers.get('content-type') ?? '',
      text,
    };
  }

  get(path: string, headers?: Record<string, string>): Promise<Page> {
    return this.request('GET', path, { headers });
  }

  /** Posts a form with the current CSRF token (unless the test gives `_csrf` itself, or null to leave it out). */
  post(path: string, fields: Record<string, string> = {}, csrf: string | null = this.csrf): Promise<Page> {
    const form = csrf === null ? fields : { _csrf: csrf, ...fields };
    return this.request('POST', path, { form });
  }

  async signIn(username: string, password: string): Promise<Page> {
    await this.get('/console/login');
    return this.post('/console/login', { username, password });
  }
}

/** The visible text of an HTML fragment, whitespace collapsed (for assertions on what a person reads). */
export function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/\s+/g, ' ')
    .trim();
}
