/** Tables printed to the terminal and written as Markdown, from the same rows. */

export interface Table {
  title: string;
  headers: string[];
  rows: string[][];
  /** Printed under the table. */
  notes?: string[];
}

export function renderText(t: Table): string {
  const widths = t.headers.map((h, i) => Math.max(h.length, ...t.rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  const out = [t.title, line(t.headers), widths.map((w) => '-'.repeat(w)).join('  '), ...t.rows.map(line)];
  for (const note of t.notes ?? []) out.push(`  ${note}`);
  return `${out.join('\n')}\n`;
}

export function renderMarkdown(t: Table): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  const out = [
    `### ${t.title}`,
    '',
    `| ${t.headers.map(esc).join(' | ')} |`,
    `|${t.headers.map(() => '---').join('|')}|`,
    ...t.rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ];
  if (t.notes && t.notes.length > 0) out.push('', ...t.notes.map((n) => `- ${n}`));
  return `${out.join('\n')}\n`;
}
