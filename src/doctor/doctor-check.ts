import type { AccessState } from '../connector/access.js';

/**
 * One line of `grantscope doctor`'s table: a permission of one tenant's collector, or a check of the
 * config or the database. `subject` is `github:acme`, `config` or `database`.
 */
export interface DoctorCheck {
  subject: string;
  /** The collector, `(connection)`, or what was checked of the config or database (`policy`, `schema`). */
  collector: string;
  needed: string;
  state: AccessState;
  fix: string | null;
  link: string | null;
  evidence: string | null;
}

/** What doctor found; `ok` is false when anything is `missing`. */
export interface DoctorReport {
  configFile: string;
  database: string;
  checks: DoctorCheck[];
  ok: boolean;
}

export function doctorCheck(
  subject: string,
  collector: string,
  needed: string,
  state: AccessState,
  more: {
    fix?: string | null | undefined;
    link?: string | null | undefined;
    evidence?: string | null | undefined;
  } = {},
): DoctorCheck {
  return {
    subject,
    collector,
    needed,
    state,
    fix: more.fix ?? null,
    link: more.link ?? null,
    evidence: more.evidence ?? null,
  };
}
