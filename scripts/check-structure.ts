/**
 * The structure rules dependency-cruiser cannot see, checked in `npm run lint`:
 *
 * - **One owner per table.** A table is read and written only by code inside its owner folder
 *   (scripts/table-owners.ts), and its row type (`UsersTable` … from platform/storage/schema.ts) is not
 *   imported outside it. Table references are found in Kysely calls (`selectFrom('users as u')`,
 *   `insertInto`, `updateTable`, `deleteFrom`, the joins, arrays of tables, `sql.table(…)`, schema changes)
 *   and in raw SQL (`sql`…``, `sql.raw(…)`: `from`, `join`, `update`, `into`, `using`). Migrations are
 *   exempt: they shape every table. A table name held in a variable is not seen: code generic over
 *   tables (the web kit's cookie-backed store) belongs in the tables' owner anyway.
 * - **No source file over 400 lines**: past that a file holds more than one idea.
 * - **No module-level mutable state**: a top-level `let`/`var`, or a top-level cache (an empty `Map` or
 *   `Set`, any `WeakMap`, `WeakSet` or `LRUCache`), would be shared by every app in the process (two
 *   Foyer "processes" in one test). Caches live on the app's services: `service(ctx, key, create)`.
 *
 * `tsx scripts/check-structure.ts [root]` prints one line per violation (`file:line  what is wrong`) and
 * exits with 1 when there is any. The functions are exported for test/structure/check-structure.test.ts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownerOf } from './table-owners.js';

export const MAX_LINES = 400;
const SCHEMA = 'src/platform/storage/schema.ts';
const EXEMPT = 'src/platform/storage/migrations/';

export interface Violation {
  file: string;
  line: number;
  message: string;
}

/** A table or row-type name found in a source file, at a character offset. */
export interface Reference {
  name: string;
  offset: number;
}

/** The tables of the `DB` interface in schema.ts, keyed by their row type: `UsersTable` → `users`. */
export function readSchemaTables(schemaSource: string): Map<string, string> {
  const body = /export\s+interface\s+DB\s*\{([^}]*)\}/.exec(schemaSource)?.[1];
  if (body === undefined) throw new Error(`no 'export interface DB' in ${SCHEMA}`);
  const tables = new Map<string, string>();
  for (const [, table, rowType] of body.matchAll(/(\w+)\s*:\s*(\w+)/g)) tables.set(rowType!, table!);
  return tables;
}

const KYSELY_CALL =
  /\.\s*(?:selectFrom|insertInto|replaceInto|updateTable|deleteFrom|mergeInto|(?:inner|left|right|full|cross)Join(?:Lateral)?|from|using|table|(?:create|alter|drop)Table)\(\s*/g;
const STRING = /'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)"|`([^`$]*)`/y;
const SQL_TEMPLATE = /\bsql\s*(?:<(?:[^<>`]|<[^<>`]*>)*>)?\s*`/g;
const SQL_RAW = /\b(?:sql|CompiledQuery)\.raw\(\s*/g;
const SQL_KEYWORD = /\b(?:from|join|update|into|using)\s+/gi;

/** Tables named in Kysely calls: the first word of each string argument (`'users as u'` → `users`). */
function kyselyTables(source: string): Reference[] {
  const found: Reference[] = [];
  for (const call of source.matchAll(KYSELY_CALL)) {
    let pos = call.index + call[0].length;
    const inArray = source[pos] === '[';
    if (inArray) pos += 1;
    do {
      while (inArray && /\s/.test(source[pos] ?? '')) pos += 1;
      STRING.lastIndex = pos;
      const literal = STRING.exec(source);
      if (!literal) break;
      const text = literal[1] ?? literal[2] ?? literal[3] ?? '';
      const name = /^\s*([\w.]+)/.exec(text)?.[1]?.split('.').pop();
      if (name) found.push({ name, offset: pos + 1 + text.indexOf(name) });
      pos = STRING.lastIndex;
      while (/\s/.test(source[pos] ?? '')) pos += 1;
    } while (inArray && source[pos++] === ',');
  }
  return found;
}

/** Skips a string or template starting at `pos` (its opening quote); returns the offset after it. */
function skipQuoted(source: string, pos: number): number {
  const quote = source[pos];
  let i = pos + 1;
  while (i < source.length && source[i] !== quote) {
    if (source[i] === '\\') i += 2;
    else if (quote === '`' && source.startsWith('${', i)) i = skipExpression(source, i + 2);
    else i += 1;
  }
  return i + 1;
}

/** Skips a `${…}` expression whose body starts at `pos`; returns the offset after its closing brace. */
function skipExpression(source: string, pos: number): number {
  let depth = 1;
  let i = pos;
  while (i < source.length && depth > 0) {
    const c = source[i];
    if (c === "'" || c === '"' || c === '`') i = skipQuoted(source, i);
    else {
      if (c === '{') depth += 1;
      if (c === '}') depth -= 1;
      i += 1;
    }
  }
  return i;
}

/**
 * The literal text of the template whose opening backtick is at `pos`, as a copy of the source in which
 * everything else (the code around it and each `${…}`) is blanked with `#`: offsets stay those of the
 * file, and an interpolated value can never read as a table name.
 */
function templateText(source: string, pos: number): string {
  const chars = Array.from({ length: source.length }, () => '#');
  let i = pos + 1;
  while (i < source.length && source[i] !== '`') {
    if (source.startsWith('${', i)) {
      i = skipExpression(source, i + 2);
      continue;
    }
    const width = source[i] === '\\' ? 2 : 1;
    for (let k = i; k < i + width; k++) chars[k] = source[k] ?? '#';
    i += width;
  }
  return chars.join('');
}

/** Tables after `from`, `join`, `update`, `into` and `using` in SQL text, including `from a, b x`. */
function sqlTables(text: string): Reference[] {
  const found: Reference[] = [];
  for (const keyword of text.matchAll(SQL_KEYWORD)) {
    let pos = keyword.index + keyword[0].length;
    for (;;) {
      const name = /^"?([A-Za-z_]\w*)"?/.exec(text.slice(pos, pos + 200));
      if (!name) break;
      found.push({ name: name[1]!.toLowerCase(), offset: pos + (name[0].startsWith('"') ? 1 : 0) });
      pos += name[0].length;
      const alias = /^\s+(?:as\s+)?[A-Za-z_]\w*/i.exec(text.slice(pos, pos + 200));
      const comma = /^\s*,\s*/.exec(text.slice(pos + (alias?.[0].length ?? 0), pos + 200));
      if (!comma) break;
      pos += (alias?.[0].length ?? 0) + comma[0].length;
    }
  }
  return found;
}

/** Every table name a source file uses in a query (names that are not tables are filtered by the caller). */
export function findTableReferences(source: string): Reference[] {
  const found = kyselyTables(source);
  for (const tag of source.matchAll(SQL_TEMPLATE)) found.push(...sqlTables(templateText(source, tag.index + tag[0].length - 1)));
  for (const raw of source.matchAll(SQL_RAW)) {
    const start = raw.index + raw[0].length;
    if (!/['"`]/.test(source[start] ?? '')) continue;
    const end = skipQuoted(source, start);
    const blanked = '#'.repeat(start + 1) + source.slice(start + 1, end - 1) + '#'.repeat(source.length - end + 1);
    found.push(...sqlTables(blanked));
  }
  return found.sort((a, b) => a.offset - b.offset);
}

/** schema.ts and the files it gathers row types from (`schema-directory.ts`). */
const SCHEMA_PATH = /(?:^|\/)storage\/schema(?:-[a-z-]+)?(?:\.js|\.ts)?$/;

/** Row types imported or re-exported from the schema: named imports, `import('…/schema.js').X`, `DB['t']`. */
export function findRowTypeReferences(source: string): Reference[] {
  const found: Reference[] = [];
  for (const named of source.matchAll(/\b(?:import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    if (!SCHEMA_PATH.test(named[2]!)) continue;
    const listStart = named.index + named[0].indexOf('{') + 1;
    for (const name of named[1]!.matchAll(/(?:\btype\s+)?(\w+)(?:\s+as\s+\w+)?/g)) {
      found.push({ name: name[1]!, offset: listStart + name.index + name[0].indexOf(name[1]!) });
    }
  }
  for (const inline of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)\s*\.\s*(\w+)/g)) {
    if (SCHEMA_PATH.test(inline[1]!)) found.push({ name: inline[2]!, offset: inline.index + inline[0].lastIndexOf(inline[2]!) });
  }
  for (const namespace of source.matchAll(/\bimport\s+(?:type\s+)?\*\s+as\s+(\w+)\s+from\s*['"]([^'"]+)['"]/g)) {
    if (!SCHEMA_PATH.test(namespace[2]!)) continue;
    const after = namespace.index + namespace[0].length;
    for (const use of source.slice(after).matchAll(new RegExp(`\\b${namespace[1]}\\s*\\.\\s*(\\w+)`, 'g'))) {
      found.push({ name: use[1]!, offset: after + use.index + use[0].lastIndexOf(use[1]!) });
    }
  }
  for (const indexed of source.matchAll(/\bDB\s*\[\s*['"](\w+)['"]\s*\]/g)) {
    found.push({ name: `DB['${indexed[1]}']`, offset: indexed.index });
  }
  return found;
}

function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < source.length; i++) if (source[i] === '\n') line += 1;
  return line;
}

export function countLines(source: string): number {
  if (source === '') return 0;
  return source.split('\n').length - (source.endsWith('\n') ? 1 : 0);
}

/** The violations of one file; `file` is relative to the root, with forward slashes (`src/web/x.ts`). */
const MODULE_STATE =
  /^(?:export\s+)?(?:(?:let|var)\s+\w+|const\s+\w+(?:\s*:[^=\n]+)?\s*=\s*new\s+(?:(?:Map|Set)\s*(?:<[^\n]*>)?\s*\(\s*\)|(?:WeakMap|WeakSet|LRUCache)\b))/gm;

/** Top-level `let`/`var` and top-level caches (see the header), by offset. */
export function findModuleState(source: string): number[] {
  return [...source.matchAll(MODULE_STATE)].map((m) => m.index);
}

export function checkFile(file: string, source: string, rowTypes: ReadonlyMap<string, string>): Violation[] {
  const violations: Violation[] = [];
  const lines = countLines(source);
  if (lines > MAX_LINES) violations.push({ file, line: MAX_LINES + 1, message: `${lines} lines: a source file has at most ${MAX_LINES}` });
  for (const offset of findModuleState(source)) {
    violations.push({ file, line: lineAt(source, offset), message: 'module-level mutable state: keep it on the app (service(ctx, key, create))' });
  }
  if (file.startsWith(EXEMPT) || (file.startsWith('src/') && SCHEMA_PATH.test(file))) return violations;

  const tables = new Set(rowTypes.values());
  const refuse = (offset: number, what: string, table: string) => {
    const owner = ownerOf(table);
    if (owner && file.startsWith(owner)) return;
    const message = owner ? `${what} is owned by ${owner}` : `${what} has no owner in scripts/table-owners.ts`;
    violations.push({ file, line: lineAt(source, offset), message });
  };
  for (const ref of findTableReferences(source)) {
    if (tables.has(ref.name)) refuse(ref.offset, `table '${ref.name}'`, ref.name);
  }
  for (const ref of findRowTypeReferences(source)) {
    const indexed = /^DB\['(\w+)'\]$/.exec(ref.name)?.[1];
    const table = indexed ?? rowTypes.get(ref.name);
    if (table && tables.has(table)) refuse(ref.offset, `row type ${ref.name} of table '${table}'`, table);
  }
  return violations.sort((a, b) => a.line - b.line);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => join(dir, name))
    .sort();
}

/** Checks every `src/**\/*.ts` under `root` (a checkout of Foyer, or a test fixture shaped like one). */
export function checkStructure(root: string): Violation[] {
  const rowTypes = readSchemaTables(readFileSync(join(root, SCHEMA), 'utf8'));
  return sourceFiles(join(root, 'src')).flatMap((path) => checkFile(relative(root, path).split(sep).join('/'), readFileSync(path, 'utf8'), rowTypes));
}

export function formatViolation(v: Violation): string {
  return `${v.file}:${v.line}  ${v.message}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? '.');
  const violations = checkStructure(root);
  for (const v of violations) console.log(formatViolation(v));
  if (violations.length > 0) {
    console.error(`\n${violations.length} structure violation(s): see scripts/check-structure.ts and docs/architecture.md`);
    process.exitCode = 1;
  } else {
    console.log('structure: every table used by its owner only, every file within 400 lines, no module-level state');
  }
}
