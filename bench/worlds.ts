/**
 * The generated worlds the bench scans: three sizes per platform (small, medium, large), written as
 * JSON world files to a temp dir so that the emulator loads them in its own process, as a user's
 * `grantscope emulator --world <file>` would. `GS_BENCH_SCALE` (default 1) scales every size down
 * for iterating on the bench; results.md states the sizes actually run.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type BenchPlatform = 'github' | 'microsoft365' | 'google-workspace';
export const PLATFORMS: readonly BenchPlatform[] = ['github', 'microsoft365', 'google-workspace'];
export type SizeName = 'small' | 'medium' | 'large';
export const SIZES: readonly SizeName[] = ['small', 'medium', 'large'];

/**
 * Every bench world's clock: the time the bench started. The CLI scans with the system clock, so a world
 * fixed in the past would put the scanner's "since the last scan" reads (Google's token log) after the
 * emulator's now, and an unchanged rescan would fall back to a full read.
 */
export const BENCH_NOW = new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** The promised sizes (issue 12): 5,000 repos; 50,000 SPs + 20,000 users; 20,000 Google users. */
const FULL: Record<BenchPlatform, Record<SizeName, Record<string, number>>> = {
  github: { small: { repos: 500 }, medium: { repos: 1000 }, large: { repos: 5000 } },
  microsoft365: {
    small: { servicePrincipals: 5000, users: 2000 },
    medium: { servicePrincipals: 20_000, users: 8000 },
    large: { servicePrincipals: 50_000, users: 20_000 },
  },
  'google-workspace': { small: { users: 2000 }, medium: { users: 5000 }, large: { users: 20_000 } },
};

export function benchScale(): number {
  const raw = process.env.GS_BENCH_SCALE ?? '1';
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0 || scale > 1)
    throw new Error(`GS_BENCH_SCALE must be a number in (0, 1], not ${raw}`);
  return scale;
}

export interface BenchWorld {
  platform: BenchPlatform;
  size: SizeName;
  /** The generator's sizes, after GS_BENCH_SCALE. */
  counts: Record<string, number>;
  /** e.g. `5,000 repos`. */
  label: string;
  file: string;
}

export function worldCounts(platform: BenchPlatform, size: SizeName, scale = benchScale()) {
  return Object.fromEntries(
    Object.entries(FULL[platform][size]).map(([k, v]) => [k, Math.max(10, Math.round(v * scale))]),
  );
}

function label(platform: BenchPlatform, counts: Record<string, number>): string {
  const n = (x: number | undefined) => (x ?? 0).toLocaleString('en');
  if (platform === 'github') return `${n(counts.repos)} repos`;
  if (platform === 'microsoft365') return `${n(counts.servicePrincipals)} SPs + ${n(counts.users)} users`;
  return `${n(counts.users)} users`;
}

function section(platform: BenchPlatform, counts: Record<string, number>): Record<string, unknown> {
  if (platform === 'github') {
    return {
      org: { login: 'big-corp', id: 6200001, name: 'Big Corp', saml: false, enterprise_cloud: true },
      app: {
        id: 900002,
        slug: 'grantscope-scanner',
        name: 'grantscope scanner',
        installation_id: 70002,
        permissions: {
          organization_administration: 'read',
          organization_personal_access_tokens: 'read',
          organization_personal_access_token_requests: 'read',
          members: 'read',
          organization_hooks: 'read',
          administration: 'read',
          repository_hooks: 'read',
          metadata: 'read',
        },
      },
      generate: {
        seed: 42,
        repos: counts.repos,
        deploy_key_ratio: 0.03,
        hook_ratio: 0.02,
        collaborator_ratio: 0,
        users: 300,
        outside_collaborators: 0,
        installations: 40,
        pat_grants: 60,
        org_hooks: 3,
      },
      // A budget the largest scan fits in twice (first scan + rescan); realistic pacing is the
      // limits rows' business, not the world's.
      rate_limit: { core: { limit: 50_000 }, graphql: { limit: 5000 } },
    };
  }
  if (platform === 'microsoft365') {
    return {
      tenant: {
        id: '5e1f0c2a-7b3d-4e9f-8a61-2c4d6e8f0a1b',
        displayName: 'Contoso (generated)',
        defaultDomain: 'contoso.example',
      },
      scanner: { appId: '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a' },
      generate: { seed: 42, servicePrincipals: counts.servicePrincipals, users: counts.users },
    };
  }
  return {
    customer: { id: 'C0bench', domain: 'bench.example' },
    generate: { seed: 42, users: counts.users },
  };
}

/** Writes the world file of (platform, size) into `dir`. */
export function writeBenchWorld(dir: string, platform: BenchPlatform, size: SizeName): BenchWorld {
  const counts = worldCounts(platform, size);
  const file = join(dir, `${platform}-${size}.world.json`);
  const world = {
    name: `bench ${platform} ${size} (${label(platform, counts)})`,
    now: BENCH_NOW,
    [platform]: section(platform, counts),
  };
  writeFileSync(file, JSON.stringify(world, null, 1));
  return { platform, size, counts, label: label(platform, counts), file };
}
