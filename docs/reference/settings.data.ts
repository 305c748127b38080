// Build-time data for the settings page: the registry itself, so the page cannot drift from the code.
import { SETTINGS } from '../../src/config/settings.ts';

export interface SettingRow {
  name: string;
  flags: string[];
  type: string;
  choices: string[] | null;
  default: string;
  section: string;
  short: string;
  doc: string;
  chapter: number;
}

declare const data: SettingRow[];
export { data };

/** Escapes HTML and turns `code` spans into <code>, for v-html. */
const html = (text: string): string =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!).replace(/`([^`]+)`/g, '<code>$1</code>');

export default {
  load(): SettingRow[] {
    return SETTINGS.map((s) => ({
      name: s.name,
      flags: s.flags,
      // 'dict' (secure_scheme_headers) is what a config file writes as an object literal; spaced so the page can wrap it.
      type: s.type === 'dict' ? 'object of strings' : s.type,
      choices: s.choices ? [...s.choices] : null,
      default: s.type === 'dict' ? JSON.stringify(s.default, null, 1).replace(/\n\s*/g, ' ') : JSON.stringify(s.default),
      section: s.section,
      short: html(s.short),
      doc: html(s.doc),
      chapter: s.chapter,
    }));
  },
};
