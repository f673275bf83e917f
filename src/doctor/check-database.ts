import { inspectStore } from '../store/open.js';
import { type DoctorCheck, doctorCheck } from './doctor-check.js';

const SUBJECT = 'database';

/** Whether the database can be written (or created) and its schema is one this build reads. */
export async function checkDatabase(file: string): Promise<DoctorCheck[]> {
  const status = await inspectStore(file);
  if (status.kind === 'absent') {
    return [
      status.writable
        ? doctorCheck(SUBJECT, 'file', 'a writable database file', 'granted', {
            evidence: `${file} does not exist yet; the first scan creates it`,
          })
        : doctorCheck(SUBJECT, 'file', 'a writable database file', 'missing', {
            evidence: `${file} does not exist and ${status.folder} is not writable (or does not exist)`,
            fix: `create ${status.folder} and let the user running grantscope write to it, or set database: in the config`,
          }),
    ];
  }
  if (status.kind === 'foreign') {
    return [
      doctorCheck(SUBJECT, 'file', 'a grantscope database', 'missing', {
        evidence: `${file} ${status.reason}`,
        fix: 'point database: (or --db) at a new file; grantscope never writes into a file it did not create',
      }),
    ];
  }
  const checks = [
    status.writable
      ? doctorCheck(SUBJECT, 'file', 'a writable database file', 'granted', {
          evidence: `${file}: ${status.scans} scan(s) stored`,
        })
      : doctorCheck(SUBJECT, 'file', 'a writable database file', 'missing', {
          evidence: `${file} or its folder is read-only for this user (SQLite writes -wal and -shm files beside it)`,
          fix: 'let the user running grantscope write the file and its folder',
        }),
  ];
  const needed = `schema version ${status.current} (this build)`;
  if (status.version > status.current) {
    checks.push(
      doctorCheck(SUBJECT, 'schema', needed, 'missing', {
        evidence: `the file has schema version ${status.version}, made by a newer grantscope`,
        fix: 'upgrade grantscope',
      }),
    );
  } else {
    checks.push(
      doctorCheck(SUBJECT, 'schema', needed, 'granted', {
        evidence:
          status.version === status.current
            ? `the file has schema version ${status.version}`
            : `the file has schema version ${status.version}; the next scan migrates it to ${status.current}`,
      }),
    );
  }
  return checks;
}
