// @chapter 7
// Log files shared by processes: O_APPEND and one write per line lose nothing; reopening follows a rename.
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { race } from '../../chapters/07-logging/race.ts';
import { checkWritable, LogFile, reopenLogFiles } from '../../src/log/files.ts';
import { createLogger } from '../../src/log/logger.ts';

const dir = mkdtempSync(join(tmpdir(), 'prefork-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LogFile', () => {
  it('two descriptors with O_APPEND add to each other; two without overwrite each other', () => {
    const path = join(dir, 'two.log');
    const a = new LogFile(path, 2);
    const b = new LogFile(path, 2);
    a.write('a1\n');
    b.write('b1\n');
    a.write('a2\n');
    a.close();
    b.close();
    expect(readFileSync(path, 'utf8')).toBe('a1\nb1\na2\n');

    const naive = join(dir, 'naive.log');
    const [x, y] = [openSync(naive, 'w'), openSync(naive, 'r+')];
    writeSync(x, 'x1\n');
    writeSync(y, 'y1\n'); // its own offset, still 0: on top of x1
    writeSync(x, 'x2\n');
    [x, y].forEach((fd) => closeSync(fd));
    expect(readFileSync(naive, 'utf8'), 'y1 overwrote x1').toBe('y1\nx2\n');
  });

  it('reopen() after a rename: earlier lines stay in the renamed file, later ones go to a new file', () => {
    const path = join(dir, 'app.log');
    const log = createLogger({ level: 'info', file: new LogFile(path, 2) });
    log.info('before');
    renameSync(path, `${path}.1`);
    log.info('still the old file: nobody reopened yet');
    expect(reopenLogFiles()).toEqual([]);
    log.info('after');
    expect(readFileSync(`${path}.1`, 'utf8')).toMatch(/\[INFO\] before\n.*\[INFO\] still the old file: nobody reopened yet\n$/);
    expect(readFileSync(path, 'utf8')).toMatch(/^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d{4}\] \[\d+\] \[INFO\] after\n$/);
  });

  it('keeps the old descriptor when the path cannot be opened again, and says why', () => {
    const sub = join(dir, 'gone');
    mkdirSync(sub);
    const file = new LogFile(join(sub, 'x.log'), 2);
    renameSync(sub, `${sub}-moved`); // the directory is gone: the path cannot be opened any more
    const failures = reopenLogFiles();
    expect(failures, 'one failure, naming the file').toEqual([expect.stringMatching(/^Cannot reopen log file .*x\.log: ENOENT/)]);
    file.write('kept\n');
    file.close();
    expect(readFileSync(join(`${sub}-moved`, 'x.log'), 'utf8'), 'the line went to the file still open').toBe('kept\n');
  });

  it('"-" is the standard stream: nothing to open or reopen', () => {
    const std = new LogFile('-', 1);
    expect(() => std.reopen()).not.toThrow();
    std.close();
    expect(checkWritable('-', 'accesslog')).toBeNull();
    expect(checkWritable(join(dir, 'nope', 'a.log'), 'accesslog')).toMatch(/^accesslog: cannot open .* for appending: ENOENT/);
  });
});

describe('4 processes, 10,000 lines each, one file', () => {
  it("'w' loses lines (each process has its own offset); 'a' + one write per line loses none, even with rotation and USR1", { timeout: 30_000 }, async () => {
    const naive = await race('w', { dir });
    expect(naive.lost, `'w' lost ${naive.lost} of ${naive.written}`).toBeGreaterThan(0);
    const ours = await race('a', { dir, rotateEveryMs: 20 });
    expect({ lost: ours.lost, torn: ours.torn, duplicated: ours.duplicated }, 'O_APPEND: every line once, whole').toEqual({ lost: 0, torn: 0, duplicated: 0 });
  });
});
