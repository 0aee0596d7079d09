/**
 * Turns a checked `$filter` tree into a SQL condition that means the same on SQLite and PostgreSQL.
 *
 * Every comparison is two-valued (OData: `null eq 'x'` is false and `null ne 'x'` is true), so `not`
 * behaves as people expect instead of SQL's three-valued logic. Values are always bound parameters.
 */
import { type RawBuilder, type SqlBool, sql } from 'kysely';
import type { DialectName } from '../storage/database.js';
import type { FilterNode, Literal } from './filter.js';

/** How a property is stored. */
export type ColumnKind =
  /** text compared case-insensitively; the column holds a JavaScript-lower-cased copy */
  | 'lowered'
  /** text compared case-insensitively with SQL lower() on both sides (rarely filtered columns) */
  | 'text'
  /** exact text (enums; text whose letter case counts) */
  | 'exact'
  /** object ids: GUIDs, stored lower-case, matched whatever case the client writes them in */
  | 'id'
  /** 0/1 integer */
  | 'boolean'
  /** epoch milliseconds */
  | 'datetime'
  /** a JSON array of ASCII strings (e-mail addresses), element compared case-insensitively with `eq` */
  | 'json-strings';

export interface ColumnRef {
  column: string;
  kind: ColumnKind;
}

export interface SqlTarget {
  dialect: DialectName;
  column(property: string): ColumnRef;
  /**
   * `collection/any(…)`: an EXISTS over the collection's rows, given the element condition compiled
   * with the element's columns.
   */
  any(collection: string, element: (target: SqlTarget) => RawBuilder<SqlBool>): RawBuilder<SqlBool>;
}

const OPS = { eq: '=', ne: '<>', gt: '>', ge: '>=', lt: '<', le: '<=' } as const;

function bind(value: Literal, kind: ColumnKind): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && (kind === 'lowered' || kind === 'id')) return value.toLowerCase();
  return value;
}

function lhs(ref: ColumnRef): RawBuilder<unknown> {
  return ref.kind === 'text' ? sql`lower(${sql.ref(ref.column)})` : sql.ref(ref.column);
}

function rhs(value: Literal, ref: ColumnRef): RawBuilder<unknown> {
  const v = bind(value, ref.kind);
  return ref.kind === 'text' ? sql`lower(${v})` : sql`${v}`;
}

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function escapeGlob(value: string): string {
  return value.replace(/[*?[\]]/g, (c) => `[${c}]`);
}

function pattern(target: SqlTarget, ref: ColumnRef, value: string, where: 'start' | 'end'): RawBuilder<SqlBool> {
  const v = ref.kind === 'lowered' ? value.toLowerCase() : value;
  const col = lhs(ref);
  if (target.dialect === 'sqlite' && ref.kind !== 'text') {
    // GLOB is case-sensitive and can use the index for a prefix; the column is already lower-cased.
    const p = where === 'start' ? `${escapeGlob(v)}*` : `*${escapeGlob(v)}`;
    return sql<SqlBool>`(${col} is not null and ${col} glob ${p})`;
  }
  const p = where === 'start' ? `${escapeLike(v)}%` : `%${escapeLike(v)}`;
  const right = ref.kind === 'text' ? sql`lower(${p})` : sql`${p}`;
  return sql<SqlBool>`(${col} is not null and ${col} like ${right} escape '\\')`;
}

export function compileFilter(node: FilterNode, target: SqlTarget): RawBuilder<SqlBool> {
  switch (node.kind) {
    case 'and':
      return sql<SqlBool>`(${compileFilter(node.left, target)} and ${compileFilter(node.right, target)})`;
    case 'or':
      return sql<SqlBool>`(${compileFilter(node.left, target)} or ${compileFilter(node.right, target)})`;
    case 'not':
      return sql<SqlBool>`(not ${compileFilter(node.operand, target)})`;
    case 'compare': {
      const ref = target.column(node.property);
      const col = lhs(ref);
      if (node.value === null) {
        return node.op === 'eq' ? sql<SqlBool>`(${col} is null)` : sql<SqlBool>`(${col} is not null)`;
      }
      if (ref.kind === 'json-strings') {
        // The array's lower-cased JSON text contains "value" exactly when it holds that element: the
        // addresses Foyer accepts contain no quote or backslash, so the quotes delimit whole elements.
        const p = `%${escapeLike(JSON.stringify(String(node.value).toLowerCase()))}%`;
        const contains = sql<SqlBool>`(lower(${col}) like ${p} escape '\\')`;
        return node.op === 'eq' ? contains : sql<SqlBool>`(not ${contains})`;
      }
      const op = sql.raw(OPS[node.op]);
      if (node.op === 'ne') return sql<SqlBool>`(${col} is null or ${col} <> ${rhs(node.value, ref)})`;
      return sql<SqlBool>`(${col} is not null and ${col} ${op} ${rhs(node.value, ref)})`;
    }
    case 'in': {
      const ref = target.column(node.property);
      const col = lhs(ref);
      const nonNull = node.values.filter((v) => v !== null);
      const parts: RawBuilder<SqlBool>[] = [];
      if (nonNull.length) {
        parts.push(sql<SqlBool>`(${col} is not null and ${col} in (${sql.join(nonNull.map((v) => rhs(v, ref)))}))`);
      }
      if (nonNull.length !== node.values.length) parts.push(sql<SqlBool>`(${col} is null)`);
      return sql<SqlBool>`(${sql.join(parts, sql` or `)})`;
    }
    case 'startswith':
      return pattern(target, target.column(node.property), node.value, 'start');
    case 'endswith':
      return pattern(target, target.column(node.property), node.value, 'end');
    case 'any':
      return target.any(node.collection, (element) => compileFilter(node.body, element));
  }
}
