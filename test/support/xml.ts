/**
 * Reading the `$metadata` document in tests: a small XML reader for the well-formed document Foyer writes
 * (elements and attributes, no text content), that fails the test on anything else.
 */
import { expect } from 'vitest';

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
}

/** A small XML reader for the well-formed document Foyer writes: elements and attributes, no text content. */
export function parseXml(text: string): XmlElement {
  const root: XmlElement = { name: '#document', attributes: {}, children: [] };
  const stack = [root];
  const tag = /<(\/?)([\w:]+)((?:\s+[\w:]+="[^"]*")*)\s*(\/?)>|<\?[^?]*\?>/g;
  let last = 0;
  for (let m = tag.exec(text); m; m = tag.exec(text)) {
    expect(text.slice(last, m.index).trim(), `text between tags at ${last}`).toBe('');
    last = tag.lastIndex;
    if (!m[2]) continue; // the XML declaration
    if (m[1]) {
      expect(stack.pop()!.name, 'closing tag matches').toBe(m[2]);
      continue;
    }
    const attributes = Object.fromEntries([...m[3]!.matchAll(/([\w:]+)="([^"]*)"/g)].map((a) => [a[1]!, a[2]!]));
    const element: XmlElement = { name: m[2], attributes, children: [] };
    stack.at(-1)!.children.push(element);
    if (!m[4]) stack.push(element);
  }
  expect(stack.length, 'every element is closed').toBe(1);
  return root;
}

/** Every element named `name` below `e`, at any depth. */
export const descendants = (e: XmlElement, name: string): XmlElement[] => [
  ...e.children.filter((c) => c.name === name),
  ...e.children.flatMap((c) => descendants(c, name)),
];
