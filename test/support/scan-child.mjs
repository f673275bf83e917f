// A scan in a child process, for crash tests. Usage:
//   node scan-child.mjs <build dir> <db file> <mode> <records>
// mode "write": write records forever (until killed); "complete": write <records>, then complete.
// Prints progress lines: "began <id>", "wrote <n>", "completing", "completed".
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const [build, file, mode, count] = process.argv.slice(2);
const load = (p) => import(pathToFileURL(join(build, p)).href);
const { openSqliteStore } = await load('src/store/sqlite/index.js');
const { grant, identity, coverage } = await load('test/support/store-records.js');

// A small page cache makes the scan spill uncommitted pages into the WAL early.
const store = await openSqliteStore(file, { scanThread: true, scanCacheMiB: 2 });
const writer = await store.beginScan({ startedAt: '2026-01-02T00:00:00Z', toolVersion: 'child' });
process.stdout.write(`began ${writer.scanId}\n`);
let written = 0;
for (let i = 0; mode === 'write' || written < Number(count); i++) {
  const batch = [identity(`c${i}`)];
  for (let j = 0; j < 499; j++)
    batch.push(grant(`c${i}`, `perm-${j}`, { raw: { padding: 'x'.repeat(400), i, j } }));
  await writer.write(batch);
  written += batch.length;
  process.stdout.write(`wrote ${written}\n`);
}
process.stdout.write('completing\n');
await writer.complete([coverage({ 'app-installations': 'complete' })], '2026-01-02T00:10:00Z');
process.stdout.write('completed\n');
await store.close();
