/**
 * Server-side HTML with escaping by default: every value interpolated into markup`` is escaped unless it is
 * itself an Html fragment (built by markup`` or raw()). Patient messages, names and ids are therefore inert.
 */

export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  if (value === null || value === undefined || value === false) return '';
  return escapeHtml(String(value));
}

export function markup(strings: TemplateStringsArray, ...values: HtmlValue[]): Html {
  let out = strings[0] ?? '';
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '');
  });
  return new Html(out);
}

/** Markup the code itself wrote (never data). */
export const raw = (text: string): Html => new Html(text);

/** A `{name}` template of the strings module with escaped text and the given fragments in the placeholders. */
export function template(text: string, vars: Record<string, HtmlValue>): Html {
  const parts = text.split(/\{(\w+)\}/);
  return markup`${parts.map((part, i) => (i % 2 === 0 ? part : part in vars ? vars[part] : `{${part}}`))}`;
}

/**
 * Text shown with white-space: pre-wrap (patient messages): built without template whitespace, so no
 * formatter can ever add blank lines or indentation to what the patient wrote.
 */
export const preText = (className: string, text: string): Html =>
  new Html('<div class="' + escapeHtml(className) + '">' + escapeHtml(text) + '</div>');
