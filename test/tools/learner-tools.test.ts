// The learner's and the workshop lead's commands: hints one step at a time, reset that keeps the
// learner's file, and a team table merged from several grade records.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chapters } from '../../chapters/index.ts';
import { teamTable, type GradeRecord } from '../../chapters/tools/team.ts';

const repo = join(import.meta.dirname, '..', '..');
const temp = mkdtempSync(join(tmpdir(), 'learner-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));
const tool = (cwd: string, name: string, args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(cwd, 'chapters', 'tools', `${name}.ts`), ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });

describe('npm run hint', () => {
  const ex = chapters.flatMap((c) => c.exercises).find((e) => e.hints.length >= 2)!;
  const env = { PREFORK_LEARNER_DIR: join(temp, 'hints') };

  it('shows one more hint each time, and remembers', () => {
    const first = tool(repo, 'hint', [ex.id], env);
    expect(first.status).toBe(0);
    expect(first.stdout).toContain(`Hint 1 of ${ex.hints.length}: ${ex.hints[0]}`);
    expect(first.stdout).not.toContain('Hint 2 of');
    const second = tool(repo, 'hint', [ex.id], env);
    expect(second.stdout).toContain(`Hint 2 of ${ex.hints.length}: ${ex.hints[1]}`);
  });

  it('names the exercises when the id is wrong', () => {
    const run = tool(repo, 'hint', ['99.9'], env);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('There is no exercise "99.9"');
  });
});

describe('npm run reset', () => {
  it("puts the shipped stub back and keeps the learner's file aside", () => {
    const clone = join(temp, 'clone');
    execFileSync('git', ['clone', '-q', repo, clone]);
    symlinkSync(join(repo, 'node_modules'), join(clone, 'node_modules'));
    const file = join(clone, 'exercises', '04-worker', 'admission.ts');
    const stub = readFileSync(file, 'utf8');
    writeFileSync(file, '// my attempt\nexport const shouldAccept = () => true;\n');
    const env = { PREFORK_LEARNER_DIR: join(clone, '.learner') };
    const run = tool(clone, 'reset', ['4.1'], env);
    expect(run.status, run.stderr).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(stub);
    const kept = readdirSync(join(clone, '.learner', 'kept'));
    expect(kept).toHaveLength(1);
    expect(readFileSync(join(clone, '.learner', 'kept', kept[0]!), 'utf8')).toContain('// my attempt');
    expect(tool(clone, 'reset', ['4.1'], env).stdout).toContain('already the untouched stub');
  });
});

describe('npm run grade -- --team', () => {
  const all = chapters.flatMap((c) => c.exercises);
  const record = (learner: string, passes: (id: string) => boolean): GradeRecord => ({
    learner,
    host: 'h',
    node: 'v20',
    gradedAt: '2026-12-05T10:00:00.000Z',
    exercises: all.map((e) => ({ id: e.id, title: e.title, pass: passes(e.id) })),
  });

  it('merges three records: how many pass each exercise, who has not, where the room is stuck', () => {
    const lines = teamTable([record('Ada', () => true), record('Bo', (id) => id.startsWith('1.')), record('Cy', () => false)]).join('\n');
    expect(lines).toContain(`Team: 3 learners, ${all.length} exercises`);
    expect(lines).toMatch(/1\.1 +.* 2\/3 +Cy/);
    expect(lines).toMatch(/9\.1 +.* 1\/3 +Bo, Cy/);
    expect(lines).toMatch(/Ada +\d+\/\d+/);
    expect(lines).toContain('Where the room is stuck');
  });

  it('says so when there is nothing to merge', () => {
    expect(teamTable([])).toEqual(['No grade records found.']);
    expect(existsSync(temp)).toBe(true);
  });
});
