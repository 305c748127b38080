import { describe, expect, it } from 'vitest';
import { AppSpecError, parseAppSpec } from '@answers/02-contract/app-spec.ts';

const fail = (spec: string): unknown => {
  try {
    parseAppSpec(spec);
  } catch (err) {
    return err;
  }
  return 'no error';
};

describe('exercise 2.4: app specs', () => {
  it('splits file and export name', () => {
    expect(parseAppSpec('src/server.ts:handler'), '"file:name"').toEqual({ file: 'src/server.ts', exportName: 'handler' });
  });

  it('uses "app" when no name is given', () => {
    expect(parseAppSpec('app.ts'), 'no ":" means the export named app').toEqual({ file: 'app.ts', exportName: 'app' });
  });

  it('splits at the last colon', () => {
    expect(parseAppSpec('weird:dir/app.ts:main'), 'a ":" inside the path stays in the path').toEqual({ file: 'weird:dir/app.ts', exportName: 'main' });
  });

  it('accepts default and $-names, and trims spaces', () => {
    expect(parseAppSpec('  app.ts:default '), 'surrounding spaces are ignored').toEqual({ file: 'app.ts', exportName: 'default' });
    expect(parseAppSpec('app.ts:$handler_2').exportName, '$ and _ and digits are fine in names').toBe('$handler_2');
  });

  it('treats a Windows drive as part of the path', () => {
    expect(parseAppSpec('C:\\srv\\app.ts'), 'what follows the ":" has a "\\": it is a path').toEqual({ file: 'C:\\srv\\app.ts', exportName: 'app' });
  });

  it('refuses specs it cannot use', () => {
    for (const spec of ['', ':app', 'app.ts:', 'app.ts:2fast', 'app.ts:my-app', 'app.ts:a b']) {
      expect(fail(spec), `${JSON.stringify(spec)} must throw AppSpecError`).toBeInstanceOf(AppSpecError);
    }
  });
});
