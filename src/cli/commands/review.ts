import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { resolveGovernance } from '../../analysis/governance-source.js';
import { resolvePolicy } from '../../analysis/policy-source.js';
import { readConfigFile } from '../../config/config.js';
import { UsageError } from '../../errors.js';
import { grantsDigest } from '../../governance/grants-digest.js';
import { EMPTY_GOVERNANCE, type Governance } from '../../governance/model.js';
import { groupByOwner, reviewsDue } from '../../governance/reviews-due.js';
import { bundleFacts, ReviewsInForce } from '../../governance/reviews-in-force.js';
import type { OutputFormat } from '../../output/format.js';
import { renderRecordedReview, renderReviewHistory, renderReviewsDue } from '../../output/views/reviews.js';
import { scanOfSource } from '../../selection/scan-selection.js';
import { readSelectedSnapshot } from '../../selection/selection-reads.js';
import { openStore } from '../../store/open.js';
import type { ReviewSubject, SnapshotStore, StoredReview } from '../../store/store.js';
import { type IdentityFilter, resolveIdentity } from '../identity-argument.js';
import {
  addCommonOptions,
  type CommonOptions,
  configPath,
  createRuntime,
  databasePath,
  loadVocabularyFor,
  openExistingStore,
  parseAsOf,
  parseScanId,
} from '../runtime.js';
import { SCAN_OPTION_HELP, selectScans } from './select-scan.js';

interface IdentityOptions extends CommonOptions, IdentityFilter {
  scan?: string;
}

interface ReviewOptions extends IdentityOptions {
  decision: 'keep' | 'reduce' | 'revoke';
  reviewer: string;
  note?: string;
  until?: string;
}

interface DueOptions extends CommonOptions {
  governance?: string;
  scan?: string;
  asOf?: string;
  within: string;
  policy?: string;
}

const MAX_REVIEWER = 200;
const MAX_NOTE = 2_000;

function identityOptions(cmd: Command): Command {
  return cmd
    .option('--platform <platform>', 'the identity is on this platform (when its id is not unique)')
    .option('--tenant <tenant>', 'the identity is in this tenant (org login, tenant id, customer id)')
    .option('--kind <kind>', 'the identity is of this kind (e.g. service-principal)')
    .option(
      '--scan <id>',
      'look the identity up in this one scan (default: the newest scan of each platform and tenant)',
    );
}

/** Free text a person typed: trimmed, bounded, one line for names. */
function text(value: string | undefined, flag: string, max: number, oneLine: boolean): string | null {
  if (value === undefined) return null;
  const t = value.trim();
  if (t === '') throw new UsageError(`${flag}: empty`);
  if (t.length > max) throw new UsageError(`${flag}: longer than ${max} characters`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  if ((oneLine ? /[\u0000-\u001f\u007f]/ : /[\u0000-\u0008\u000b-\u001f\u007f]/).test(t))
    throw new UsageError(`${flag}: contains control characters`);
  return t;
}

/** The governance files in force: `--governance`, else the config's `governance`, else none. */
function governanceFor(opts: CommonOptions & { governance?: string }): Governance {
  if (opts.governance) return resolveGovernance(opts.governance);
  const cfg = configPath(opts);
  if (!cfg) return EMPTY_GOVERNANCE;
  const { settings } = readConfigFile(cfg);
  return settings.governance ? resolveGovernance(resolve(cfg, '..', settings.governance)) : EMPTY_GOVERNANCE;
}

function policyFileFor(opts: CommonOptions & { policy?: string }): string | null {
  if (opts.policy) return opts.policy;
  const cfg = configPath(opts);
  if (!cfg) return null;
  const { settings } = readConfigFile(cfg);
  return settings.policy ? resolve(cfg, '..', settings.policy) : null;
}

export function reviewCommand(program: Command): void {
  const cmd = program
    .command('review')
    .summary('record a recertification decision about an identity')
    .description(
      'Record that someone reviewed a non-human identity and decided to keep it, reduce its access or revoke ' +
        'it. Reviews are kept in the database with their history (never changed nor deleted: a newer review ' +
        'supersedes). The identity is named by the id `grantscope inventory` and `grantscope findings` show ' +
        '(or its kind:id, or its display name).\n\n' +
        'A review resets the overdue-review clock (90 days, 30 for identities with critical access). A revoke ' +
        'or reduce decision must be carried out by --until (default: 14 days for revoke, 30 for reduce): after ' +
        'that, an identity still present, or a reduce whose grants did not change, is a review-decision-overdue ' +
        'finding.',
    )
    .argument('<identity>', 'the identity: its id as `grantscope inventory` shows it')
    .addOption(
      new Option('--decision <decision>', 'what was decided')
        .choices(['keep', 'reduce', 'revoke'])
        .makeOptionMandatory(),
    )
    .requiredOption('--reviewer <name>', 'who reviewed (a person, as your organisation names them)')
    .option('--note <text>', 'why: the justification, a ticket reference')
    .option(
      '--until <date>',
      'for reduce/revoke: the date it must be done by; for keep: until when it holds',
    );
  identityOptions(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText(
    'after',
    `
Examples:
  $ grantscope review 71004 --decision keep --reviewer alice@acme.test --note "CHG-1234: still used by CI"
  $ grantscope review 71005 --decision revoke --reviewer bob --until 2026-12-31 --note "vendor offboarded"
  $ grantscope review "Meeting Notes" --decision reduce --reviewer carol --note "drop Mail.ReadWrite"
  $ grantscope review 6f1c0a --platform microsoft365 --kind service-principal --decision keep --reviewer dan
  $ grantscope reviews due                     # what needs review, one list per owner
  $ grantscope reviews history 71004           # every review of one identity`,
  );
  cmd.action(async (arg: string, opts: ReviewOptions) => {
    const rt = createRuntime(opts);
    const reviewer = text(opts.reviewer, '--reviewer', MAX_REVIEWER, true)!;
    const note = text(opts.note, '--note', MAX_NOTE, false);
    const now = new Date();
    const until = opts.until === undefined ? null : parseAsOf(opts.until, now, '--until');
    if (until && until.getTime() <= now.getTime()) {
      throw new UsageError(
        `--until: ${opts.until} is not in the future (give the date the decision is due by)`,
      );
    }
    const file = databasePath(opts);
    if (!existsSync(file)) {
      throw new UsageError(`${file}: no such database; run \`grantscope scan\` first or pass --db`);
    }
    const store = await openStore(file);
    try {
      const selection = await selectScans(store, parseScanId(opts.scan, '--scan'));
      const bundle = await resolveIdentity(store, selection, arg, opts);
      const f = bundleFacts(bundle);
      // The scan whose snapshot of the identity was reviewed: its tenant's, in a round.
      const scan = scanOfSource(selection).get(bundle.source) ?? selection.newest;
      const recorded = await store.recordReview({
        platform: f.platform,
        tenant: f.tenant,
        kind: f.kind,
        nativeId: f.nativeId,
        displayName: f.name,
        decision: opts.decision,
        reviewer,
        note,
        until: until ? until.toISOString() : null,
        reviewedAt: now.toISOString(),
        scanId: scan.id,
        grantsDigest: grantsDigest(bundle.grants),
      });
      rt.emit(renderRecordedReview(recorded, opts.format as OutputFormat));
    } finally {
      await store.close();
    }
  });
}

/** Reviews of an identity that is no longer in the snapshot (revoked): looked up among the reviews. */
async function reviewedSubjects(
  store: SnapshotStore,
  arg: string,
  filter: IdentityFilter,
): Promise<ReviewSubject[]> {
  const out: ReviewSubject[] = [];
  for await (const r of store.latestReviews({ platform: filter.platform, tenant: filter.tenant })) {
    if (filter.kind && r.kind !== filter.kind) continue;
    if (r.nativeId === arg || `${r.kind}:${r.nativeId}` === arg) out.push(r);
  }
  return out;
}

export function reviewsCommand(program: Command): void {
  const reviews = program
    .command('reviews')
    .summary('what needs review (due), and the history of reviews')
    .description(
      "Recertification: list identities whose review is due, grouped by owner, or one identity's reviews.",
    );

  const due = reviews
    .command('due')
    .summary('identities whose review is overdue or due soon, one list per owner')
    .description(
      'List the identities whose periodic review is overdue or falls due within --within days, one list per ' +
        'owner: the owner registered in the governance file, else an active in-platform owner; identities with ' +
        'neither come last, under "no owner". Periods come from the policy\'s overdue-review section (90 days; ' +
        '30 for identities holding critical access). Identities never reviewed are due a period after their ' +
        'creation. Platform first-party apps are listed only once someone has reviewed them.',
    )
    .option('--scan <id>', SCAN_OPTION_HELP)
    .option('--as-of <time>', "judge as of this ISO-8601 time, or 'now' (default: now)")
    .option('--within <days>', 'also list reviews falling due within this many days', '14')
    .option('--policy <file>', "policy file (default: the config's `policy`, else built-in defaults)")
    .option(
      '--governance <path>',
      "governance file or folder: registered owners and the reviews it records (default: the config's `governance`)",
    );
  addCommonOptions(due);
  due.addHelpText(
    'after',
    `
Examples:
  $ grantscope reviews due
  $ grantscope reviews due --within 30 --format md -o reviews-due.md     # paste into a ticket
  $ grantscope reviews due --format json | jq '.[] | {owner: .owner.name, count}'`,
  );
  due.action(async (opts: DueOptions) => {
    const rt = createRuntime(opts);
    const withinDays = Number(opts.within);
    if (!Number.isInteger(withinDays) || withinDays < 0 || withinDays > 3650) {
      throw new UsageError(`--within: not a number of days between 0 and 3650: '${opts.within}'`);
    }
    const asOf = parseAsOf(opts.asOf ?? 'now', new Date());
    const vocabulary = await loadVocabularyFor(opts);
    const policy = resolvePolicy(policyFileFor(opts), vocabulary);
    const governance = governanceFor(opts);
    const store = await openExistingStore(opts);
    try {
      const selection = await selectScans(store, parseScanId(opts.scan, '--scan'));
      const inForce = await ReviewsInForce.load(store, governance);
      const list = await reviewsDue(readSelectedSnapshot(store, selection), {
        reviews: inForce,
        governance,
        policy: policy.rules['overdue-review'],
        asOf,
        withinDays,
      });
      rt.emit(renderReviewsDue(groupByOwner(list), opts.format as OutputFormat, withinDays));
    } finally {
      await store.close();
    }
  });

  const history = reviews
    .command('history')
    .summary('every review recorded for one identity, newest first')
    .argument('<identity>', 'the identity: its id as `grantscope inventory` shows it')
    .description(
      'Every review recorded with `grantscope review` for one identity, newest first: the first line is the ' +
        "decision in force (reviews in the governance file are in that file's git history).",
    );
  identityOptions(history);
  addCommonOptions(history);
  history.addHelpText(
    'after',
    `
Examples:
  $ grantscope reviews history 71004
  $ grantscope reviews history 71004 --format json`,
  );
  history.action(async (arg: string, opts: IdentityOptions) => {
    const rt = createRuntime(opts);
    const store = await openExistingStore(opts);
    try {
      const selection = await selectScans(store, parseScanId(opts.scan, '--scan'));
      let subject: ReviewSubject;
      try {
        const f = bundleFacts(await resolveIdentity(store, selection, arg, opts));
        subject = { platform: f.platform, tenant: f.tenant, kind: f.kind, nativeId: f.nativeId };
      } catch (err) {
        // Not in the snapshot (revoked since, say): its reviews are still on record.
        const reviewed = await reviewedSubjects(store, arg.trim(), opts);
        if (reviewed.length !== 1) throw err;
        subject = reviewed[0]!;
      }
      const list: StoredReview[] = await store.reviewHistory(subject);
      rt.emit(renderReviewHistory(list, opts.format as OutputFormat));
    } finally {
      await store.close();
    }
  });
}
