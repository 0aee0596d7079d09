/**
 * The project's legal and security front door: a LICENSE file whose text is the license package.json
 * names, and a SECURITY.md that says how to report a vulnerability privately and what is in scope.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const read = (file: string) => readFileSync(join(repo, file), 'utf8');

describe('license and security policy', () => {
  it('LICENSE is the full, unmodified text of the license package.json names', () => {
    expect(JSON.parse(read('package.json')).license).toBe('Apache-2.0');
    const license = read('LICENSE');
    expect(license).toMatch(/^ +Apache License\n +Version 2\.0, January 2004\n/);
    expect(license).toContain('END OF TERMS AND CONDITIONS');
    // The MD5 of https://www.apache.org/licenses/LICENSE-2.0.txt, as SPDX tools recognise it.
    expect(createHash('md5').update(license).digest('hex')).toBe('86d3f3a95c324c9479bd8986968f4327');
  });

  it('SECURITY.md says how to report privately, what is in scope, and which versions get fixes', () => {
    const policy = read('SECURITY.md');
    expect(policy).toContain('Report a vulnerability');
    expect(policy).toMatch(/do not open a public issue/i);
    expect(policy).toContain('## Scope');
    expect(policy).toContain('## Supported versions');
  });
});
