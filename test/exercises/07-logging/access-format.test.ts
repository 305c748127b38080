import { describe, expect, it } from 'vitest';
import { AccessFormatError, DEFAULT_ACCESS_LOG_FORMAT, parseAccessFormat } from '@answers/07-logging/access-format.ts';

describe('exercise 7.2: the access log format, parsed once', () => {
  it('splits the default format into text and atoms', () => {
    expect(parseAccessFormat(DEFAULT_ACCESS_LOG_FORMAT), "gunicorn's default format").toEqual([
      { atom: 'h' }, ' ', { atom: 'l' }, ' ', { atom: 'u' }, ' ', { atom: 't' }, ' "', { atom: 'r' }, '" ',
      { atom: 's' }, ' ', { atom: 'b' }, ' "', { atom: 'f' }, '" "', { atom: 'a' }, '"',
    ]);
  });

  it('reads %% as a "%", joined to the text around it', () => {
    expect(parseAccessFormat('100%% of %(s)s%%'), '%% is text').toEqual(['100% of ', { atom: 's' }, '%']);
  });

  it('keeps names with braces, dashes and nested parentheses', () => {
    expect(parseAccessFormat('%({X-Request-Id}i)s %({x-(y)}o)s'), 'the name runs to the matching ")"').toEqual([{ atom: '{X-Request-Id}i' }, ' ', { atom: '{x-(y)}o' }]);
    expect(parseAccessFormat('%(h)s%(l)s'), 'atoms next to each other: no empty text between').toEqual([{ atom: 'h' }, { atom: 'l' }]);
  });

  it('gives no parts for an empty format, and one for plain text', () => {
    expect(parseAccessFormat(''), 'nothing').toEqual([]);
    expect(parseAccessFormat('no atoms here'), 'text only').toEqual(['no atoms here']);
  });

  it('refuses a "%" that starts no atom, saying where', () => {
    const error = (format: string): unknown => {
      try {
        parseAccessFormat(format);
      } catch (err) {
        return err;
      }
      return null;
    };
    expect(error('%(h)s %s'), 'a bare %s: no name').toBeInstanceOf(AccessFormatError);
    expect(String(error('%(h)s %s')), 'the message says where: index 6').toMatch(/index 6/);
    expect(error('50%'), 'a "%" at the very end').toBeInstanceOf(AccessFormatError);
    expect(String(error('ab %(h')), 'a name without ")": says so').toMatch(/no closing/);
    expect(String(error('ab %(h')), 'a name without ")": says where, index 3').toMatch(/index 3/);
    expect(error('%(h)d'), 'only the s conversion').toBeInstanceOf(AccessFormatError);
    expect(String(error('%(h)d')), 'says what must follow').toMatch(/must be followed by "s"/);
  });
});
