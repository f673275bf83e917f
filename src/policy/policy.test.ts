import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BUILTIN_VOCABULARY } from '../../test/support/vocabulary.js';
import type { YamlSource } from '../config/yaml-file.js';
import { parseYaml, readYamlFile } from '../config/yaml-file.js';
import { ConfigError } from '../errors.js';
import * as policy from './index.js';

// The policy as the CLI has it: with the built-in connectors' defaults.
const defaultPolicy = policy.defaultPolicy(BUILTIN_VOCABULARY);
const parsePolicy = (src: YamlSource) => policy.parsePolicy(src, BUILTIN_VOCABULARY);
const loadPolicy = (file: string) => policy.loadPolicy(file, BUILTIN_VOCABULARY);

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('policy', () => {
  it('defaults to the thresholds of the rules as documented', () => {
    expect(JSON.parse(JSON.stringify(defaultPolicy))).toMatchInlineSnapshot(`
      {
        "rules": {
          "credential-hygiene": {
            "enabled": true,
            "expiringWithinDays": 30,
            "maxLifetimeDays": {
              "certificate": 365,
              "client-secret": 180,
              "default": 366,
              "pat": 366,
              "service-account-key": 90,
            },
            "problemSeverity": {
              "expired": "medium",
              "expiringSoon": "low",
              "noExpiry": {
                "default": "high",
                "deploy-key": "low",
                "ssh-key": "low",
                "webhook-secret": "low",
              },
              "overMaxLifetime": "medium",
            },
            "severity": null,
          },
          "idle-partner": {
            "elevateAtTier": "high",
            "enabled": true,
            "idleDays": 90,
            "minIdentities": 2,
            "severity": null,
          },
          "invalid-exception": {
            "enabled": true,
            "maxDays": 90,
            "severity": null,
          },
          "new-credential": {
            "elevateAtTier": "high",
            "enabled": true,
            "renewals": "ignore",
            "severity": null,
          },
          "new-grant": {
            "enabled": true,
            "severity": null,
          },
          "over-privileged": {
            "enabled": true,
            "minTier": "high",
            "severity": null,
          },
          "overdue-review": {
            "criticalAtTier": "critical",
            "criticalPeriodDays": 30,
            "enabled": true,
            "periodDays": 90,
            "reportNeverReviewed": false,
            "severity": null,
          },
          "ownerless": {
            "elevateAtTier": "high",
            "enabled": true,
            "excludeKinds": [
              "webhook",
              "outside-collaborator",
            ],
            "exemptOrigins": [
              "platform",
            ],
            "orphanedGrants": true,
            "severity": null,
          },
          "retired-still-present": {
            "enabled": true,
            "severity": null,
          },
          "review-decision-overdue": {
            "enabled": true,
            "reduceGraceDays": 30,
            "revokeGraceDays": 14,
            "severity": null,
          },
          "scope-expansion": {
            "elevateAtTier": "high",
            "enabled": true,
            "severity": null,
          },
          "stale": {
            "elevateAtTier": "high",
            "enabled": true,
            "neverUsedGraceDays": 30,
            "severity": null,
            "unusedDays": 90,
          },
          "unapproved": {
            "enabled": false,
            "exemptOrigins": [
              "platform",
            ],
            "severity": null,
          },
          "unapproved-scope": {
            "elevateAtTier": "high",
            "enabled": true,
            "severity": null,
          },
        },
        "version": 1,
      }
    `);
  });

  it('merges a partial file over the defaults, per credential type too', () => {
    const p = parsePolicy({
      file: 'policy.yaml',
      text: [
        'version: 1',
        'rules:',
        '  stale:',
        '    unusedDays: 45',
        '  credential-hygiene:',
        '    maxLifetimeDays:',
        '      client-secret: 90',
        '      webhook-secret: 730',
        '  new-grant:',
        '    enabled: false',
        '',
      ].join('\n'),
    });
    expect(p.rules.stale).toEqual({
      enabled: true,
      severity: null,
      unusedDays: 45,
      neverUsedGraceDays: 30,
      elevateAtTier: 'high',
    });
    expect(p.rules['credential-hygiene'].maxLifetimeDays).toEqual({
      'client-secret': 90,
      certificate: 365,
      'service-account-key': 90,
      pat: 366,
      default: 366,
      'webhook-secret': 730,
    });
    expect(p.rules['new-grant'].enabled).toBe(false);
    expect(p.rules.ownerless).toEqual(defaultPolicy.rules.ownerless);
  });

  it('a wrong type names the file, the key path and the line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gs-policy-'));
    const file = join(dir, 'policy.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'rules:',
        '  ownerless:',
        '    enabled: true',
        '  stale:',
        '    unusedDays: "ninety"',
        '',
      ].join('\n'),
    );
    const err = errorOf(() => loadPolicy(file));
    expect(err.issues).toEqual([
      { path: 'rules.stale.unusedDays', line: 6, message: expect.stringMatching(/expected number/) },
    ]);
    expect(err.message).toBe(
      `${file}: invalid configuration\n  line 6: rules.stale.unusedDays: Invalid input: expected number, received string`,
    );
    expect(err.exitCode).toBe(2);
  });

  it('unknown keys are errors, with their line', () => {
    const err = errorOf(() =>
      parsePolicy({
        file: 'p.yaml',
        text: ['version: 1', 'rules:', '  stale:', '    unusedDay: 30', '  staleness: {}', ''].join('\n'),
      }),
    );
    expect(err.issues).toEqual([
      // The line of the unknown key itself.
      { path: 'rules.stale', line: 4, message: "unknown key 'unusedDay'" },
      { path: 'rules', line: 5, message: "unknown key 'staleness'" },
    ]);
  });

  it('rejects a missing or unsupported version, bad tiers and non-positive days', () => {
    expect(errorOf(() => parsePolicy({ file: 'p.yaml', text: 'rules: {}\n' })).issues[0]).toMatchObject({
      path: 'version',
      message: 'policy version must be 1 (the only version this grantscope reads)',
    });
    const err = errorOf(() =>
      parsePolicy({
        file: 'p.yaml',
        text: [
          'version: 1',
          'rules:',
          '  over-privileged:',
          '    minTier: severe',
          '  credential-hygiene:',
          '    expiringWithinDays: 0',
          '    problemSeverity:',
          '      noExpiry:',
          '        pat: urgent',
          '',
        ].join('\n'),
      }),
    );
    expect(err.issues.map((i) => [i.path, i.line])).toEqual([
      ['rules.over-privileged.minTier', 4],
      ['rules.credential-hygiene.expiringWithinDays', 6],
      ['rules.credential-hygiene.problemSeverity.noExpiry.pat', 9],
    ]);
  });

  it('a file that is missing or not YAML is a ConfigError naming the file', () => {
    expect(errorOf(() => loadPolicy('/nonexistent/policy.yaml')).message).toContain(
      '/nonexistent/policy.yaml: invalid configuration',
    );
    expect(
      errorOf(() => parsePolicy({ file: 'p.yaml', text: 'version: 1\nrules: [\n' })).issues[0]!.line,
    ).toBe(3);
  });

  it('the annotated example file shows every key, each with its default', () => {
    const file = new URL('../../fixtures/policy.example.yaml', import.meta.url).pathname;
    // The raw YAML, before defaults are applied, already equals the default policy: no key is left out.
    expect(parseYaml(readYamlFile(file)).value).toEqual(JSON.parse(JSON.stringify(defaultPolicy)));
    expect(loadPolicy(file)).toEqual(defaultPolicy);
  });
});
