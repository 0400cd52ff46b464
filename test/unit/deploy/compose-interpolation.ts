/**
 * Docker Compose variable interpolation (the subset the Compose specification defines): `$$`, `$VAR`,
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`,
 * `${VAR+alt}`, with nested expressions inside defaults. Lets the tests validate the file the way
 * `docker compose config` sees it, without a Docker engine.
 */

export class MissingVariableError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`required variable ${variable} is missing a value: ${detail}`);
  }
}

/** Index of the `}` closing the expression that starts after `${` at `start`, honouring nesting. */
function closingBrace(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i += 1) {
    if (text.startsWith('${', i)) {
      depth += 1;
      i += 1;
    } else if (text[i] === '}') {
      depth -= 1;
      if (depth === 0) return i;
    }
  }
  throw new Error(`unclosed \${ in "${text}"`);
}

function expression(body: string, env: Record<string, string | undefined>): string {
  const match = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
  if (!match) throw new Error(`invalid interpolation "\${${body}}"`);
  const [, name = '', operator, rest = ''] = match;
  const value = env[name];
  const unset = value === undefined;
  const empty = unset || value === '';
  switch (operator) {
    case undefined:
      return value ?? '';
    case ':-':
      return empty ? interpolate(rest, env) : value;
    case '-':
      return unset ? interpolate(rest, env) : value;
    case ':?':
      if (empty) throw new MissingVariableError(name, rest);
      return value;
    case '?':
      if (unset) throw new MissingVariableError(name, rest);
      return value;
    case ':+':
      return empty ? '' : interpolate(rest, env);
    case '+':
      return unset ? '' : interpolate(rest, env);
    default:
      throw new Error(`unknown operator ${operator}`);
  }
}

export function interpolate(text: string, env: Record<string, string | undefined>): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('$$', i)) {
      out += '$';
      i += 2;
    } else if (text.startsWith('${', i)) {
      const end = closingBrace(text, i + 2);
      out += expression(text.slice(i + 2, end), env);
      i = end + 1;
    } else if (text[i] === '$' && /[A-Za-z_]/.test(text[i + 1] ?? '')) {
      const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1))?.[0] ?? '';
      out += env[name] ?? '';
      i += 1 + name.length;
    } else {
      out += text[i];
      i += 1;
    }
  }
  return out;
}

/** Interpolates every string (values only, as Compose does) of a parsed YAML document. */
export function interpolateDocument(node: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof node === 'string') return interpolate(node, env);
  if (Array.isArray(node)) return node.map((item) => interpolateDocument(item, env));
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolateDocument(v, env)]));
  }
  return node;
}

/** Names of every variable the YAML text references outside comments, and whether it is required (`?`). */
export function referencedVariables(text: string): Map<string, { required: boolean }> {
  const found = new Map<string, { required: boolean }>();
  const code = text.replace(/^\s*#.*$/gm, '');
  for (const m of code.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?/g)) {
    const name = m[1] ?? '';
    const required = m[2] === ':?' || m[2] === '?';
    found.set(name, { required: required || (found.get(name)?.required ?? false) });
  }
  return found;
}
