import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { buildProgram } from '../src/cli/main.js';
import { ROOT } from './support/cli.js';

/**
 * The ready-made ways to run grantscope on a schedule (deploy/, docs/scheduling.md). The Dockerfile is
 * built when a Docker daemon answers, else linted with hadolint when it is installed; either way, and
 * always, the files are checked here for what docs/scheduling.md promises (non-root, read-only root
 * filesystem, the database on a volume, SARIF uploaded), and every grantscope command they run is
 * checked against this build's CLI. The test prints which checks it could run.
 */
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(DEPLOY, path), 'utf8');

function available(command: string, args: string[]): boolean {
  const r = spawnSync(command, args, { stdio: 'ignore', timeout: 15_000 });
  return r.status === 0;
}

/** Every long option of `grantscope <command>` in this build. */
let program: Command;
beforeAll(async () => {
  program = await buildProgram();
});

function optionsOf(command: string): Set<string> {
  const cmd = program.commands.find((c) => c.name() === command);
  if (!cmd) throw new Error(`no command ${command}`);
  return new Set(cmd.options.map((o) => o.long!).filter(Boolean));
}

/** `grantscope scan -c x --db y` → checks that `scan` exists and takes each --option used. */
function expectValidInvocation(args: readonly string[]): void {
  const [command, ...rest] = args;
  const known = optionsOf(command!);
  for (const a of rest) if (a.startsWith('--')) expect(known, `${command} ${a}`).toContain(a.split('=')[0]);
}

/** The instructions of the Dockerfile's stages (continuation lines joined). */
function dockerStages(text: string): { from: string; instructions: [string, string][] }[] {
  const lines = text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const stages: { from: string; instructions: [string, string][] }[] = [];
  for (const line of lines) {
    const [, keyword, rest] = /^(\S+)\s+(.*)$/.exec(line)!;
    if (keyword!.toUpperCase() === 'FROM') stages.push({ from: rest!, instructions: [] });
    else stages.at(-1)!.instructions.push([keyword!.toUpperCase(), rest!]);
  }
  return stages;
}

describe('deploy examples', () => {
  it('Dockerfile: built, or linted, and multi-stage, non-root, the database on a volume', () => {
    const file = join(DEPLOY, 'docker', 'Dockerfile');
    const done: string[] = [];
    if (available('docker', ['info'])) {
      const r = spawnSync('docker', ['build', '-f', file, '-t', 'grantscope-test', ROOT], {
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      done.push('docker build');
    } else if (available('hadolint', ['--version'])) {
      const r = spawnSync('hadolint', [file], { encoding: 'utf8' });
      expect(r.status, r.stdout).toBe(0);
      done.push('hadolint');
    } else {
      done.push('no Docker daemon and no hadolint here: neither built nor linted');
    }
    const stages = dockerStages(readFileSync(file, 'utf8'));
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const final = stages.at(-1)!;
    const last = (kw: string) => final.instructions.filter(([k]) => k === kw).at(-1)?.[1];
    const user = last('USER');
    expect(user, 'the final stage sets USER').toBeDefined();
    expect(user!.split(':')[0]).not.toMatch(/^(root|0)$/);
    expect(last('VOLUME')).toContain('/data');
    expect(last('WORKDIR')).toBe('/data');
    expect(JSON.parse(last('ENTRYPOINT')!)).toEqual(['node', '/app/dist/src/cli/bin.js']);
    // Only built output reaches the runtime image: no sources, no compilers.
    expect(final.instructions.filter(([k, v]) => k === 'COPY' && !v.startsWith('--from='))).toEqual([]);
    expect(final.instructions.some(([k, v]) => k === 'RUN' && /apt-get install/.test(v))).toBe(false);
    const ignore = readFileSync(join(ROOT, '.dockerignore'), 'utf8');
    for (const secret of ['*.db', '*.pem', 'grantscope.yaml']) expect(ignore).toContain(secret);
    done.push('structure');
    console.info(`Dockerfile checks run: ${done.join('; ')}`);
  }, 1_800_000); // a docker build from scratch, where a daemon answers

  it('GitHub Actions example: nightly scan, findings as SARIF, uploaded; not active in this repository', () => {
    const wf = parseYaml(read('github-actions/grantscope-nightly.yml'));
    expect(existsSync(join(ROOT, '.github', 'workflows', 'grantscope-nightly.yml'))).toBe(false);
    expect(wf.on.schedule[0].cron).toMatch(/^\S+ \S+ \* \* \*$/);
    expect(wf.permissions['security-events']).toBe('write');
    const steps = Object.values(
      wf.jobs as Record<string, { steps: { run?: string; uses?: string; with?: Record<string, string> }[] }>,
    )[0]!.steps;
    const runs = steps.flatMap((s) => (s.run ? [s.run] : []));
    const invocations = runs
      .flatMap((r) => r.split('\n'))
      .map((l) => /grantscope ((?:doctor|scan|findings)\b[^|]*)/.exec(l)?.[1])
      .filter((x): x is string => !!x)
      .map((x) => x.trim().split(/\s+/));
    expect(invocations.map((i) => i[0])).toEqual(['doctor', 'scan', 'findings']);
    invocations.forEach(expectValidInvocation);
    const findings = invocations.find((i) => i[0] === 'findings')!;
    expect(findings.join(' ')).toMatch(/--format sarif --output grantscope\.sarif/);
    const upload = steps.find((s) => s.uses?.startsWith('github/codeql-action/upload-sarif@'));
    expect(upload?.with?.sarif_file).toBe('grantscope.sarif');
  });

  it('systemd: a oneshot service and the timer that starts it', () => {
    const ini = (text: string) => {
      const out: Record<string, Record<string, string[]>> = {};
      let section = '';
      for (const raw of text.split('\n')) {
        const line = raw.trim();
        if (!line || line.startsWith('#')) continue;
        const head = /^\[(.+)\]$/.exec(line);
        if (head) {
          section = head[1]!;
          out[section] ??= {};
          continue;
        }
        const [k, ...v] = line.split('=');
        const values = out[section]![k!] ?? [];
        values.push(v.join('='));
        out[section]![k!] = values;
      }
      return out;
    };
    const service = ini(read('systemd/grantscope-scan.service'));
    const timer = ini(read('systemd/grantscope-scan.timer'));
    expect(service.Service!.Type).toEqual(['oneshot']);
    expect(service.Service!.ProtectSystem).toEqual(['strict']);
    expect(service.Service!.StateDirectory).toEqual(['grantscope']);
    const exec = service.Service!.ExecStart![0]!.split(/\s+/);
    expect(exec[0]).toMatch(/grantscope$/);
    expectValidInvocation(exec.slice(1));
    expect(exec.join(' ')).toMatch(/--db \/var\/lib\/grantscope\//);
    expect(timer.Timer!.Unit).toEqual(['grantscope-scan.service']);
    expect(timer.Timer!.OnCalendar).toHaveLength(1);
    expect(timer.Install!.WantedBy).toEqual(['timers.target']);
  });

  it('Kubernetes CronJob: one scan at a time, non-root, read-only root filesystem, the database on a claim', () => {
    const docs = parseAllDocuments(read('kubernetes/cronjob.yaml')).map((d) => d.toJS());
    const claim = docs.find((d) => d.kind === 'PersistentVolumeClaim');
    const job = docs.find((d) => d.kind === 'CronJob');
    expect(job.apiVersion).toBe('batch/v1');
    expect(job.spec.concurrencyPolicy).toBe('Forbid');
    const pod = job.spec.jobTemplate.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBe(10001);
    const container = pod.containers[0];
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.securityContext.allowPrivilegeEscalation).toBe(false);
    expectValidInvocation(container.args);
    const db = container.args[container.args.indexOf('--db') + 1];
    const dataMount = container.volumeMounts.find((m: { mountPath: string }) =>
      db.startsWith(`${m.mountPath}/`),
    );
    const volume = pod.volumes.find((v: { name: string }) => v.name === dataMount.name);
    expect(volume.persistentVolumeClaim.claimName).toBe(claim.metadata.name);
  });
});
