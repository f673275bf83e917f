import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { FaultRule } from './faults.js';
import { type EmulatorLimits, limitsSchema } from './limits.js';
import { WorldError } from './world-error.js';
import { readWorldFile, validateWorldFile } from './world-file.js';

/**
 * A world describes an organisation across platforms for the emulator to serve.
 *
 * ```yaml
 * name: Acme (demo)
 * now: 2026-11-01T00:00:00Z      # optional fixed clock; otherwise the real time at emulator start
 * include: [demo.github.yaml]     # files whose top-level sections are merged in
 * extends: demo.yaml              # start from another world, then apply `patches`
 * patches:
 *   - { op: add, at: github.installations, value: {...} }
 *   - { op: remove, at: github.installations, match: { id: 4 } }
 *   - { op: update, at: github.installations, match: { id: 5 }, value: { repository_selection: all } }
 * faults: [...]                   # fault rules active while this world is served
 * github: {...}                   # one section per platform, owned by that platform's emulator module
 * ```
 *
 * Date strings of the form `now`, `now-120d`, `now+30d`, `now-6h`, `now-15m` anywhere in a platform
 * section are resolved against the emulator clock at load time, so fixtures stay "fresh".
 */
export const WorldPatch = z.object({
  op: z.enum(['add', 'remove', 'update']),
  /** Dot path to an array in the world (`github.installations`, `microsoft365.servicePrincipals`). */
  at: z.string().min(1),
  /** Field values identifying the item(s) for remove/update. */
  match: z.record(z.string(), z.unknown()).optional(),
  /** add: the new item; update: fields deep-merged into the matched item(s). */
  value: z.unknown().optional(),
});
export type WorldPatch = z.infer<typeof WorldPatch>;

const WorldFile = z
  .object({
    name: z.string().optional(),
    description: z.string().optional(),
    now: z.string().optional(),
    include: z.array(z.string()).default([]),
    extends: z.string().optional(),
    patches: z.array(WorldPatch).default([]),
    faults: z.array(FaultRule).default([]),
    /** Quota limits the emulator enforces while serving this world (./limits.ts). */
    limits: limitsSchema.optional(),
  })
  .catchall(z.unknown());

export interface World {
  name: string;
  description: string | null;
  /** Fixed clock, if the world sets one. */
  now: Date | null;
  faults: FaultRule[];
  /** Quota limits to enforce, if the world sets them. */
  limits?: EmulatorLimits | null;
  /** Platform sections, by world key. */
  platforms: Record<string, unknown>;
  /** Files this world was built from (for error messages). */
  files: string[];
  /** The file each platform section came from (for error messages naming the right file). */
  sectionFiles?: Record<string, string>;
}

const RESERVED = new Set(['name', 'description', 'now', 'include', 'extends', 'patches', 'faults', 'limits']);

/** Load a world file (YAML or JSON), following `extends` and `include`, applying `patches`. */
export function loadWorld(file: string, seen: string[] = []): World {
  const abs = resolve(file);
  if (seen.includes(abs)) {
    throw new WorldError(abs, [
      { path: 'extends', line: null, message: `cycle: ${[...seen, abs].join(' -> ')}` },
    ]);
  }
  const doc = validateWorldFile(readWorldFile(abs), WorldFile);
  const dir = dirname(abs);
  const base: World = doc.extends
    ? loadWorld(resolve(dir, doc.extends), [...seen, abs])
    : { name: '', description: null, now: null, faults: [], platforms: {}, files: [] };
  const world: World = {
    name: doc.name ?? base.name ?? abs,
    description: doc.description ?? base.description,
    now: doc.now ? parseNow(abs, doc.now) : base.now,
    faults: [...base.faults, ...doc.faults],
    limits: doc.limits ?? base.limits ?? null,
    platforms: structuredClone(base.platforms),
    files: [...base.files, abs],
    sectionFiles: { ...base.sectionFiles },
  };
  const patches = [...doc.patches];
  const addSections = (source: string, sections: Record<string, unknown>) => {
    for (const [key, value] of Object.entries(sections)) {
      if (RESERVED.has(key)) continue;
      if (key in world.platforms && !doc.extends) {
        throw new WorldError(source, [
          { path: key, line: null, message: `section '${key}' is defined twice` },
        ]);
      }
      world.platforms[key] = value;
      world.sectionFiles![key] = source;
    }
  };
  addSections(abs, doc);
  for (const inc of doc.include) {
    const incFile = resolve(dir, inc);
    const incDoc = validateWorldFile(readWorldFile(incFile), WorldFile);
    addSections(incFile, incDoc);
    patches.push(...incDoc.patches);
    world.faults.push(...incDoc.faults);
    world.files.push(incFile);
  }
  patches.forEach((p, i) => {
    applyPatch(world.platforms, p, `${abs}: patches[${i}]`);
  });
  return world;
}

function parseNow(file: string, value: string): Date {
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) {
    throw new WorldError(file, [{ path: 'now', line: null, message: `not a timestamp: ${value}` }]);
  }
  return d;
}

function matches(item: unknown, match: Record<string, unknown>): boolean {
  if (item === null || typeof item !== 'object') return false;
  return Object.entries(match).every(([k, v]) => (item as Record<string, unknown>)[k] === v);
}

function deepMerge(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (target === null || typeof target !== 'object' || Array.isArray(target)) return patch;
  const out: Record<string, unknown> = { ...(target as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = deepMerge(out[k], v);
  return out;
}

export function applyPatch(platforms: Record<string, unknown>, patch: WorldPatch, where: string): void {
  const segments = patch.at.split('.');
  let parent: unknown = platforms;
  for (const seg of segments.slice(0, -1)) {
    parent = (parent as Record<string, unknown> | undefined)?.[seg];
  }
  const last = segments[segments.length - 1]!;
  const container = parent as Record<string, unknown> | undefined;
  const list = container?.[last];
  if (!container || !Array.isArray(list)) {
    throw new WorldError(where, [
      { path: 'at', line: null, message: `${patch.at} is not a list in this world` },
    ]);
  }
  if (patch.op === 'add') {
    list.push(structuredClone(patch.value));
    return;
  }
  if (!patch.match)
    throw new WorldError(where, [{ path: 'match', line: null, message: `${patch.op} needs match` }]);
  const hits = list.map((item, i) => (matches(item, patch.match!) ? i : -1)).filter((i) => i >= 0);
  if (hits.length === 0) {
    throw new WorldError(where, [
      { path: 'match', line: null, message: `no item in ${patch.at} matches ${JSON.stringify(patch.match)}` },
    ]);
  }
  if (patch.op === 'remove') {
    container[last] = list.filter((_, i) => !hits.includes(i));
  } else {
    for (const i of hits) list[i] = deepMerge(list[i], patch.value);
  }
}

const RELATIVE = /^now(?:([+-])(\d+)([dhms]))?$/;
const UNIT_MS: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 };

/** Replace `now±N[dhms]` strings with ISO timestamps relative to `now` (deep copy). */
export function resolveRelativeDates<T>(value: T, now: Date): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = RELATIVE.exec(v);
      if (!m) return v;
      const offset = m[1] ? (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3]!]! : 0;
      return new Date(now.getTime() + offset).toISOString().replace('.000Z', 'Z');
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  return walk(value) as T;
}
