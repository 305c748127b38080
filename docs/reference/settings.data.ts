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
      type: s.type,
      choices: s.choices ? [...s.choices] : null,
      default: JSON.stringify(s.default),
      section: s.section,
      short: html(s.short),
      doc: html(s.doc),
      chapter: s.chapter,
    }));
  },
};
