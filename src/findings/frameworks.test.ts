import { describe, expect, it } from 'vitest';
import { riskCatalog } from '../risk/catalog.js';
import { RULES } from '../rules/registry.js';
import { frameworkRefs, frameworkRefsFor } from './frameworks.js';

describe('framework references', () => {
  it('every rule maps to a finding type the catalog knows', () => {
    for (const rule of RULES) expect(riskCatalog().findingTypes).toContain(rule.findingType);
  });

  it('stale maps to OWASP NHI1, its NIST CSF subcategories, and the other frameworks as "<framework> <id>"', () => {
    const refs = frameworkRefs('stale');
    expect(refs.owaspNhi).toEqual(['NHI1']);
    expect(refs.nistCsf).toEqual(['GV.SC-10', 'ID.AM-08', 'PR.AA-01']);
    expect(refs.other).toContain('CIS Controls v8 5.3');
    expect(refs.other).toContain('SOC 2 (TSC 2017) CC6.2');
    expect(refs.other.some((r) => r.startsWith('NIST CSF'))).toBe(false);
  });

  it('credential-hygiene uses the long-lived-credential mappings', () => {
    const refs = frameworkRefs('long-lived-credential', 'microsoft365');
    expect(refs.owaspNhi).toEqual(['NHI2', 'NHI4', 'NHI6', 'NHI7']);
    expect(refs.nistCsf).toEqual(['PR.AA-01', 'PR.AA-03']);
    expect(refs.other).toContain('CISA SCuBA M365 (ScubaGear) MS.AAD.5.5v1');
  });

  it('platform benchmarks apply only to their own platform', () => {
    const github = frameworkRefs('long-lived-credential', 'github');
    expect(github.other.some((r) => r.includes('SCuBA') || r.includes('Microsoft 365'))).toBe(false);
    expect(frameworkRefs('new-unapproved-grant', 'google-workspace').other).toContain(
      'CISA SCuBA GWS (ScubaGoggles) GWS.COMMONCONTROLS.10.2v1',
    );
    expect(frameworkRefs('new-unapproved-grant', 'github').other).toContain(
      'CIS GitHub Benchmark v1.2.0 1.4.1',
    );
    expect(frameworkRefs('new-unapproved-grant', 'github').other.some((r) => r.includes('GWS'))).toBe(false);
    // Cross-platform controls stay for every platform.
    expect(frameworkRefs('stale', 'github').other).toContain('CIS Controls v8 5.3');
  });

  it('reads whatever catalog it is given', () => {
    const catalog = {
      ...riskCatalog(),
      owaspNhi: [{ id: 'NHI9', title: 't', summary: 's', scannerFindings: ['scope-expansion'], source: 'x' }],
      frameworks: [
        { framework: 'NIST CSF 2.0', id: 'PR.AA-05', title: 't', findings: ['scope-expansion'], source: 'x' },
        {
          framework: 'ISO 27001',
          id: 'A.5.18',
          title: 't',
          findings: ['scope-expansion', 'stale'],
          source: 'x',
        },
      ],
    };
    expect(frameworkRefsFor('scope-expansion', null, catalog)).toEqual({
      owaspNhi: ['NHI9'],
      nistCsf: ['PR.AA-05'],
      other: ['ISO 27001 A.5.18'],
    });
    expect(frameworkRefsFor('ownerless', null, catalog)).toEqual({ owaspNhi: [], nistCsf: [], other: [] });
  });
});
