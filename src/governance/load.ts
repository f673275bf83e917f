import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  formatPath,
  type ParsedYaml,
  parseYaml,
  readYamlFile,
  validateYaml,
  type YamlSource,
} from '../config/yaml-file.js';
import { ConfigError } from '../errors.js';
import type { Governance, IdentityMatch, SourceRef } from './model.js';
import { type GovernanceFile, GovernanceFileSchema } from './schema.js';

/**
 * A governance file that cannot be read or is invalid. Like every configuration error it names the file
 * and, per issue, the line and the key (`issues`); `line` and `key` are the first issue's, for callers
 * that show one.
 */
export class GovernanceFileError extends ConfigError {
  get line(): number | null {
    return this.issues[0]?.line ?? null;
  }
  get key(): string {
    return this.issues[0]?.path ?? '';
  }
}

function asGovernanceError(err: unknown): never {
  if (err instanceof GovernanceFileError) throw err;
  if (err instanceof ConfigError) throw new GovernanceFileError(err.file, err.issues, { cause: err });
  throw err;
}

/** The files a governance path stands for: the file itself, or a folder's `*.yaml`/`*.yml` files, sorted. */
export function governanceFiles(path: string): string[] {
  const abs = resolve(path);
  let isDir: boolean;
  try {
    isDir = statSync(abs).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new GovernanceFileError(abs, [
      {
        path: '',
        line: null,
        message: code === 'ENOENT' ? 'file or folder not found' : `cannot read (${code})`,
      },
    ]);
  }
  if (!isDir) return [abs];
  const files = readdirSync(abs, { withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/i.test(e.name))
    .map((e) => e.name)
    // Byte order, not locale order: the same folder gives the same order (and hash) everywhere.
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((name) => join(abs, name));
  if (files.length === 0) {
    throw new GovernanceFileError(abs, [
      { path: '', line: null, message: 'the folder holds no *.yaml files' },
    ]);
  }
  return files;
}

/** Read a governance file or folder. Throws `GovernanceFileError` naming the file, line and key. */
export function loadGovernance(path: string): Governance {
  const sources: YamlSource[] = [];
  for (const file of governanceFiles(path)) {
    try {
      sources.push(readYamlFile(file));
    } catch (err) {
      asGovernanceError(err);
    }
  }
  return parseGovernance(sources);
}

/**
 * Validate and normalise governance YAML texts (in order) into one `Governance`. Every failure is a
 * `GovernanceFileError`; any other exception would be a bug (the fuzz test holds it to that).
 */
export function parseGovernance(sources: readonly YamlSource[]): Governance {
  const hash = createHash('sha256');
  const out: Governance = {
    files: [],
    hash: '',
    owners: [],
    approvals: [],
    exceptions: [],
    retired: [],
    reviews: [],
  };
  for (const src of sources) {
    let parsed: ParsedYaml;
    let file: GovernanceFile;
    try {
      parsed = parseYaml(src);
      if (parsed.value === null || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
        throw new GovernanceFileError(src.file, [
          {
            path: '',
            line: 1,
            message: 'expected a mapping with version: 1 and owners, approvals, exceptions, retired, reviews',
          },
        ]);
      }
      file = validateYaml(parsed, GovernanceFileSchema);
    } catch (err) {
      asGovernanceError(err);
    }
    // Length-prefixed so that moving bytes from one file to the next changes the hash.
    const bytes = Buffer.from(src.text, 'utf8');
    hash.update(`${bytes.length}\n`);
    hash.update(bytes);
    out.files.push(src.file);
    const at = (section: string, i: number): SourceRef => ({
      file: src.file,
      line: parsed.lineOf([section, i]) ?? 1,
    });
    file.owners.forEach((o, i) => {
      out.owners.push({
        match: matchOf(o.match),
        person: o.person,
        ...(o.team !== undefined && { team: o.team }),
        ...(o.contact !== undefined && { contact: o.contact }),
        accounts: o.accounts.map((a) => ({ platform: a.platform, id: a.id })),
        source: at('owners', i),
      });
    });
    file.approvals.forEach((a, i) => {
      const maxAccess: Record<string, 'read' | 'write' | 'admin'> = {};
      const names: string[] = [];
      for (const p of a.permissions) {
        if (typeof p === 'string') names.push(p);
        else {
          names.push(p.name);
          maxAccess[p.name] = p.access;
        }
      }
      out.approvals.push({
        match: matchOf(a.match),
        permissions: names,
        maxAccess,
        ...(a.breadth !== undefined && { breadth: a.breadth }),
        ...(a.credentialTypes !== undefined && { credentialTypes: a.credentialTypes }),
        ...(a.maxCredentialLifetimeDays !== undefined && {
          maxCredentialLifetimeDays: a.maxCredentialLifetimeDays,
        }),
        approver: a.approver,
        ...(a.reference !== undefined && { reference: a.reference }),
        date: a.date,
        source: at('approvals', i),
      });
    });
    file.exceptions.forEach((e, i) => {
      out.exceptions.push({
        ...(e.fingerprint !== undefined && { fingerprint: e.fingerprint.toLowerCase() }),
        ...(e.rule !== undefined && { rule: e.rule }),
        ...(e.match !== undefined && { match: matchOf(e.match) }),
        reason: e.reason,
        approver: e.approver,
        granted: e.granted,
        expires: e.expires,
        source: at('exceptions', i),
      });
    });
    file.retired.forEach((r, i) => {
      out.retired.push({
        match: matchOf(r.match),
        name: r.name,
        date: r.date,
        ...(r.reference !== undefined && { reference: r.reference }),
        source: at('retired', i),
      });
    });
    file.reviews.forEach((r, i) => {
      out.reviews.push({
        match: matchOf(r.match),
        decision: r.decision,
        reviewer: r.reviewer,
        date: r.date,
        ...(r.note !== undefined && { note: r.note }),
        ...(r.until !== undefined && { until: r.until }),
        source: at('reviews', i),
      });
    });
  }
  out.hash = sources.length > 0 ? hash.digest('hex') : '';
  return out;
}

function matchOf(m: IdentityMatch): IdentityMatch {
  const out: IdentityMatch = {};
  for (const k of ['platform', 'tenant', 'id', 'kind', 'publisher', 'name'] as const) {
    if (m[k] !== undefined) out[k] = m[k];
  }
  return out;
}

/** `owners[2].match`: how an entry is named in messages. */
export function entryLabel(section: string, index: number, key?: string): string {
  return formatPath(key ? [section, index, key] : [section, index]);
}
