/**
 * The repository stands alone: a user's clone has nothing beside it, so no file reads or cites anything
 * outside it. (.ci/run also runs the whole suite from a copy of the checkout in an empty temporary folder.)
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
/** Not ours, generated, or local state. */
const SKIPPED = new Set(['node_modules', '.git', 'dist', 'data', 'storage', 'coverage', '.tools']);
const TEXT = /\.(ts|js|mjs|cjs|json|md|ya?ml|sh)$|^(Dockerfile|run|start|test|install-tools|postgres)$/;

function repositoryFiles(dir = ROOT): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIPPED.has(entry.name)) return [];
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return repositoryFiles(file);
    return entry.isFile() && TEXT.test(entry.name) ? [path.relative(ROOT, file)] : [];
  });
}

/** Lines of the repository's text files matching `pattern`, as `file:line: text`. */
function linesMatching(pattern: RegExp, files: string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(path.join(ROOT, file), 'utf8')
      .split('\n')
      .flatMap((line, i) => (pattern.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe('the repository stands alone', () => {
  const files = repositoryFiles().filter((f) => f !== path.relative(ROOT, __filename));

  it('finds the files it checks', () => {
    expect(files).toEqual(expect.arrayContaining(['wppconnect/client.ts', '.ci/run', 'README.md']));
  });

  it('reads nothing from a shared folder beside the repository', () => {
    expect(linesMatching(/\.\.\/shared\b|\/work\/shared|'shared', 'wppconnect'/, files)).toEqual([]);
  });

  it('cites the WPPConnect contract by its path in the repository, which exists', () => {
    expect(existsSync(path.join(ROOT, 'wppconnect', 'CONTRACT.md'))).toBe(true);
    // A bare "CONTRACT §2.6" or "(CONTRACT.md)" does not say where the file is.
    const bare = /(?<!wppconnect\/)CONTRACT\b/;
    const code = files.filter((f) => f !== 'wppconnect/CONTRACT.md');
    expect(linesMatching(bare, code)).toEqual([]);
  });

  it('cites the product contract by its path in the repository (docs/product.md), which exists', () => {
    expect(existsSync(path.join(ROOT, 'docs', 'product.md'))).toBe(true);
    // "SPEC section 3" named a file a user's clone does not have.
    expect(linesMatching(/\bSPEC (section|§)/, files)).toEqual([]);
  });

  it('keeps the WPPConnect samples the tests read inside the repository', () => {
    const samples = path.join(ROOT, 'wppconnect', 'samples');
    expect(readdirSync(samples).filter((f) => f.endsWith('.json')).length).toBeGreaterThan(50);
  });
});
