import { describe, expect, it } from 'vitest';
import { splitScriptPath } from '@answers/01-cgi/script-path.ts';

// A pretend scripts folder: cgi-bin/env.sh, cgi-bin/tools/report.py and "my script.sh".
const scripts = new Set(['cgi-bin/env.sh', 'cgi-bin/tools/report.py', 'cgi-bin/my script.sh']);
const isScript = (segments: string[]): boolean => scripts.has(segments.join('/'));

describe('exercise 1.2: SCRIPT_NAME and PATH_INFO', () => {
  it('splits after the segment that names the script', () => {
    expect(splitScriptPath('/cgi-bin/env.sh/extra/path', isScript), 'the script is /cgi-bin/env.sh, the rest is PATH_INFO').toEqual({
      scriptName: '/cgi-bin/env.sh',
      pathInfo: '/extra/path',
      segments: ['cgi-bin', 'env.sh'],
    });
  });

  it('gives an empty PATH_INFO when the path ends at the script', () => {
    expect(splitScriptPath('/cgi-bin/env.sh', isScript)?.pathInfo, 'nothing after the script: PATH_INFO is ""').toBe('');
  });

  it('keeps a trailing slash in PATH_INFO', () => {
    expect(splitScriptPath('/cgi-bin/env.sh/', isScript)?.pathInfo, '"/cgi-bin/env.sh/" leaves PATH_INFO "/"').toBe('/');
  });

  it('finds scripts in sub-folders', () => {
    const split = splitScriptPath('/cgi-bin/tools/report.py/2026', isScript);
    expect(split?.scriptName, 'the script is three segments deep').toBe('/cgi-bin/tools/report.py');
    expect(split?.pathInfo).toBe('/2026');
  });

  it('asks isScript about decoded segments but returns the raw path', () => {
    const split = splitScriptPath('/cgi-bin/my%20script.sh/x%2Fy', isScript);
    expect(split?.segments, 'segments are decoded: "my%20script.sh" is the file "my script.sh"').toEqual(['cgi-bin', 'my script.sh']);
    expect(split?.scriptName, 'scriptName stays raw (encoded)').toBe('/cgi-bin/my%20script.sh');
    expect(split?.pathInfo, 'pathInfo stays raw too, even an encoded slash').toBe('/x%2Fy');
  });

  it('asks about the shortest prefix first and stops at the first script', () => {
    const asked: string[] = [];
    splitScriptPath('/cgi-bin/env.sh/tools/report.py', (s) => {
      asked.push(s.join('/'));
      return isScript(s);
    });
    expect(asked, 'isScript is asked about "cgi-bin", then "cgi-bin/env.sh", and no more').toEqual(['cgi-bin', 'cgi-bin/env.sh']);
  });

  it('returns null when no prefix is a script', () => {
    expect(splitScriptPath('/cgi-bin/nope.sh/x', isScript), 'no script on the way: null (the gateway answers 404)').toBeNull();
    expect(splitScriptPath('/', isScript), '"/" names no script').toBeNull();
  });

  it('refuses paths that could escape the scripts folder', () => {
    // Says yes only to the whole path, so every segment on the way must be looked at.
    const wholePath = (path: string) => (segments: string[]) => segments.length === path.split('/').length - 1;
    for (const path of ['/cgi-bin/../secret', '/cgi-bin/%2e%2e/secret', '/cgi-bin/./env.sh', '/cgi-bin/env.sh/../../etc/passwd', '/cgi-bin//env.sh', '/a%2fb', '/a%5cb', '/a%00b', '/bad%zz', 'cgi-bin/env.sh']) {
      expect(splitScriptPath(path, wholePath(path)), `${path} must be refused (null), even though isScript would say yes`).toBeNull();
    }
  });
});
