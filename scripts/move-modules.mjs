#!/usr/bin/env node
// One-off helper for restructuring: `node scripts/move-modules.mjs old=new ...` moves files or folders
// with git mv and rewrites every relative import in src/, test/, bench/ and scripts/ to follow them.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const pairs = process.argv.slice(2).map((a) => a.split('=').map((p) => resolve(root, p)));

const tracked = execFileSync('git', ['ls-files', '-co', '--exclude-standard', 'src', 'test', 'bench', 'scripts'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((f) => /\.(ts|mts|mjs)$/.test(f) && existsSync(join(root, f)))
  .map((f) => resolve(root, f));

function moved(path) {
  for (const [from, to] of pairs) {
    if (path === from) return to;
    if (path.startsWith(`${from}/`)) return to + path.slice(from.length);
  }
  return path;
}

const contents = new Map(tracked.map((f) => [f, readFileSync(f, 'utf8')]));
const rewritten = new Map();
for (const [file, text] of contents) {
  const newFile = moved(file);
  const out = text.replace(/((?:from|import)\s*\(?\s*')(\.{1,2}\/[^']+)(')/g, (all, pre, spec, post) => {
    const target = resolve(dirname(file), spec);
    const ts = target.replace(/\.js$/, '.ts');
    const isFile = existsSync(ts) || existsSync(target);
    if (!isFile && !(existsSync(target) && statSync(target).isDirectory())) return all;
    const newTarget = moved(existsSync(ts) ? ts : target);
    let rel = relative(dirname(newFile), newTarget);
    if (existsSync(ts)) rel = rel.replace(/\.ts$/, '.js');
    if (!rel.startsWith('.')) rel = `./${rel}`;
    return pre + rel + post;
  });
  rewritten.set(file, out);
}
for (const [from, to] of pairs) {
  execFileSync('mkdir', ['-p', dirname(to)]);
  execFileSync('git', ['mv', from, to], { cwd: root });
}
for (const [file, text] of rewritten) {
  if (text !== contents.get(file) || moved(file) !== file) writeFileSync(moved(file), text);
}
