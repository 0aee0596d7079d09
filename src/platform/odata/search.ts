/**
 * Graph's `$search` on directory objects: `"property:text"` clauses in double quotes, combined with `AND`
 * and `OR` (upper case, outside the quotes; `AND` binds tighter) and parentheses. A backslash escapes a
 * double quote or a backslash inside a clause.
 *
 * `displayName` and `description` are searched by tokens, as Graph does: the value and the search text
 * are split into words (at spaces, symbols, a change from a lower-case to an upper-case letter, and
 * between letters and digits), and every word of the search text must begin some word of the value, in
 * any order. Graph also joins the words of a run written without spaces (`hello-world` is found by
 * `helloworld`); so does Foyer. Graph's symbol tokens (`.`) are not kept: a search for a bare symbol
 * finds nothing. The other properties Foyer searches (`SEARCHED_BY_PREFIX`: each has an index) are
 * matched as `startswith`, as Graph does; Graph searches more properties, which Foyer refuses as not
 * supported rather than scan a tenant for them. A Graph property Foyer's objects of a type never have
 * (`mail` on groups) is accepted and matches nothing.
 *
 * A search is bounded: at most `MAX_CLAUSES` clauses and `MAX_WORDS` words in all (each word one part of
 * the SQL it compiles to); directory/search-tokens.ts bounds the index rows it reads.
 *
 * Every failure is a `FoyerError` `request.invalid_query` (Graph's 400): a malformed `$search` is never
 * a 500.
 */
import { FoyerError } from '../errors/foyer-error.js';
import type { FilterModel } from './filter.js';

/** What a search is checked against: the collection's filter model and the properties it returns. */
export interface SearchModel extends FilterModel {
  selectable: readonly string[];
}

export type SearchNode =
  | { kind: 'and' | 'or'; left: SearchNode; right: SearchNode }
  /** A word search: every token must begin a token of the property's value. */
  | { kind: 'tokens'; property: string; tokens: string[] }
  /** A `startswith` on the property, as `$filter` compiles it. */
  | { kind: 'prefix'; property: string; value: string }
  /** A clause on a property the type's objects never have in Foyer: it matches nothing. */
  | { kind: 'none' };

/** The types whose lists take `$search` in Foyer (Graph has it on more directory objects). */
export const SEARCHABLE_TYPES: readonly string[] = ['microsoft.graph.user', 'microsoft.graph.group'];

/** Properties Graph searches by tokens rather than by `startswith`. */
export const TOKENIZED_PROPERTIES: readonly string[] = ['displayName', 'description'];

/**
 * The properties matched as `startswith`, per type: those with an index on their lower-cased value
 * (other properties would read every object of the tenant).
 */
export const SEARCHED_BY_PREFIX: Readonly<Record<string, readonly string[]>> = {
  'microsoft.graph.user': ['userPrincipalName', 'mail', 'givenName', 'surname'],
  'microsoft.graph.group': [],
};

/** Graph properties Foyer's objects of a type always have null (its groups are security groups without mail). */
const ALWAYS_NULL: Readonly<Record<string, readonly string[]>> = { 'microsoft.graph.group': ['mail'] };

const MAX_LENGTH = 4096;
export const MAX_CLAUSES = 16;
/** Words in all the clauses of one search (a `startswith` clause is one word). */
export const MAX_WORDS = 32;
/** Longer words are cut here in the index and in a search alike (a name longer than this is rare). */
export const MAX_TOKEN_LENGTH = 64;

function invalid(message: string): FoyerError {
  return new FoyerError('request.invalid_query', message);
}

/**
 * A word cut to `MAX_TOKEN_LENGTH` code points, never inside one: a lone surrogate half would be stored
 * as U+FFFD by PostgreSQL, and two different words could then collide.
 */
function cut(word: string): string {
  return word.length <= MAX_TOKEN_LENGTH ? word : Array.from(word).slice(0, MAX_TOKEN_LENGTH).join('');
}

/** The words of one run of text without spaces: at symbols, at a lower-to-upper change, between letters and digits. */
function runWords(run: string): string[] {
  const parts = run.match(/\p{L}+|\p{N}+/gu) ?? [];
  const words: string[] = [];
  for (const part of parts) {
    // Only a change from lower to upper case splits (`HELLOworld` stays one word, as in Graph).
    for (const w of part.split(/(?<=\p{Ll})(?=\p{Lu})/u)) words.push(cut(w.toLowerCase()));
  }
  return words;
}

/** The words of a search text: each must begin a word of the value. */
export function searchWords(text: string): string[] {
  return [...new Set(text.split(/\s+/u).flatMap(runWords))].filter(Boolean);
}

/**
 * The tokens a value is indexed under: its words, and for a run of several words written without spaces
 * (`hello.world`, `HelloWorld`), the run's words joined (`helloworld`).
 */
export function valueTokens(value: string | null | undefined): string[] {
  if (!value) return [];
  const tokens = new Set<string>();
  for (const run of value.split(/\s+/u)) {
    const words = runWords(run);
    for (const w of words) if (w) tokens.add(w);
    if (words.length > 1) tokens.add(cut(words.join('')));
  }
  return [...tokens];
}

type Lexeme = { t: 'clause'; v: string; pos: number } | { t: 'and' | 'or' | '(' | ')'; pos: number } | { t: 'end'; pos: number };

function lex(text: string): Lexeme[] {
  const out: Lexeme[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/u.test(c)) {
      i++;
    } else if (c === '(' || c === ')') {
      out.push({ t: c, pos: i++ });
    } else if (c === '"') {
      const start = i++;
      let v = '';
      for (;;) {
        if (i >= text.length) throw invalid(`Syntax error: the clause at position ${start} of $search has no closing double quote.`);
        const d = text[i]!;
        if (d === '\\') {
          const next = text[i + 1];
          if (next !== '"' && next !== '\\') throw invalid(`Syntax error: at position ${i} of $search a backslash escapes only '"' or '\\'.`);
          v += next;
          i += 2;
        } else if (d === '"') {
          i++;
          break;
        } else {
          v += d;
          i++;
        }
      }
      out.push({ t: 'clause', v, pos: start });
    } else {
      const word = /^[^\s()"]+/u.exec(text.slice(i))![0];
      if (word === 'AND' || word === 'OR') out.push({ t: word === 'AND' ? 'and' : 'or', pos: i });
      else throw invalid(`Syntax error: '${word}' at position ${i} of $search. Write each clause in double quotes, as "displayName:ali", joined by AND or OR.`);
      i += word.length;
    }
  }
  out.push({ t: 'end', pos: text.length });
  return out;
}

/** Parses and checks a `$search` value against the collection's model. */
export function parseSearch(text: string, model: SearchModel): SearchNode {
  if (!SEARCHABLE_TYPES.includes(model.typeName)) throw invalid(`Query option '$search' on type '${model.typeName}' is not supported by Foyer.`);
  if (text.length > MAX_LENGTH) throw invalid(`$search is longer than ${MAX_LENGTH} characters.`);
  const lexemes = lex(text);
  let at = 0;
  let clauses = 0;
  let words = 0;
  const countWords = (n: number) => {
    words += n;
    if (words > MAX_WORDS) {
      throw invalid(`$search has more than ${MAX_WORDS} words in all its clauses, which is a limit of Foyer: search for fewer words.`);
    }
  };
  const peek = () => lexemes[at]!;

  const clause = (raw: string, pos: number): SearchNode => {
    if (++clauses > MAX_CLAUSES) throw invalid(`$search has more than ${MAX_CLAUSES} clauses, which is a limit of Foyer.`);
    const colon = raw.indexOf(':');
    if (colon <= 0) throw invalid(`Syntax error: the clause at position ${pos} of $search names no property. Write "property:text", as "displayName:ali".`);
    const name = raw.slice(0, colon).trim();
    const value = raw.slice(colon + 1).trim();
    if (!value) throw invalid(`Syntax error: the clause at position ${pos} of $search has nothing to search for after '${name}:'.`);
    const tokenized = TOKENIZED_PROPERTIES.find((p) => p.toLowerCase() === name.toLowerCase());
    if (tokenized && model.selectable.includes(tokenized)) {
      // No word at all (only symbols): nothing matches, as Graph finds nothing for it either.
      const tokens = searchWords(value);
      countWords(tokens.length);
      return tokens.length === 0 ? { kind: 'none' } : { kind: 'tokens', property: tokenized, tokens };
    }
    if (ALWAYS_NULL[model.typeName]?.some((p) => p.toLowerCase() === name.toLowerCase())) {
      countWords(1);
      return { kind: 'none' };
    }
    const property = Object.keys(model.properties).find((p) => p.toLowerCase() === name.toLowerCase());
    const searched = SEARCHED_BY_PREFIX[model.typeName] ?? [];
    const takes = [...TOKENIZED_PROPERTIES.filter((p) => model.selectable.includes(p)), ...searched].join(', ');
    if (property && model.properties[property]!.ops.includes('startswith')) {
      if (!searched.includes(property)) {
        throw invalid(
          `Searching property '${property}' of type '${model.typeName}' is not supported by Foyer: $search takes ${takes}. Use $filter with startswith(${property}, '…') instead.`,
        );
      }
      countWords(1);
      return { kind: 'prefix', property, value };
    }
    const known = property ?? model.selectable.find((p) => p.toLowerCase() === name.toLowerCase());
    // The same wording as `$filter` for a name the type does not have, so callers recognise it alike.
    if (!known) throw invalid(`Invalid $search clause: Could not find a property named '${name}' on type '${model.typeName}'.`);
    throw invalid(`Property '${known}' of type '${model.typeName}' cannot be used in $search: $search takes ${takes}.`);
  };

  const primary = (): SearchNode => {
    const l = peek();
    if (l.t === 'clause') {
      at++;
      return clause(l.v, l.pos);
    }
    if (l.t === '(') {
      at++;
      const inner = or();
      if (peek().t !== ')') throw invalid(`Syntax error: ')' expected at position ${peek().pos} of $search.`);
      at++;
      return inner;
    }
    throw invalid(`Syntax error: a clause in double quotes expected at position ${l.pos} of $search.`);
  };
  const and = (): SearchNode => {
    let left = primary();
    while (peek().t === 'and') {
      at++;
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  };
  const or = (): SearchNode => {
    let left = and();
    while (peek().t === 'or') {
      at++;
      left = { kind: 'or', left, right: and() };
    }
    return left;
  };

  if (peek().t === 'end') throw invalid('$search is empty: write a clause in double quotes, as "displayName:ali".');
  const node = or();
  if (peek().t !== 'end') throw invalid(`Syntax error: AND or OR expected at position ${peek().pos} of $search.`);
  return node;
}
