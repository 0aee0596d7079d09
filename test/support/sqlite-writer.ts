/**
 * Another process writing to a SQLite file, as `foyer` commands beside a running server do:
 * `node --import tsx test/support/sqlite-writer.ts <database url> <milliseconds>` inserts a row every
 * couple of milliseconds for that long, then prints how many.
 */
import { openDatabase } from '../../src/platform/storage/database.js';

const [url, ms] = process.argv.slice(2);
const db = openDatabase(url!);
const until = Date.now() + Number(ms);
let written = 0;
while (Date.now() < until) {
  await db.kysely
    .insertInto('instance_secrets')
    .values({ name: `writer-${process.pid}-${written++}`, value: 'v', created_at: 1 })
    .execute();
  await new Promise((r) => setTimeout(r, 2));
}
await db.close();
process.stdout.write(String(written));
