// A VitePress data loader, imported by BenchChart.vue for its side effect: at build time (and on every
// change in dev) it runs every docs/data/bench-*.json through chartFromData, so a file without its
// machine, date or load generator fails `docs:build` with the error naming the file. (A component that
// throws while rendering only gets logged in a production build, and the page would ship without its
// chart.) The client receives just the list of the files checked.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { defineLoader } from 'vitepress';
import { chartFromData } from './model.ts';

export interface Checked {
  files: string[];
}

export declare const data: Checked;

export default defineLoader({
  watch: ['../../data/bench-*.json'],
  load(files: string[]): Checked {
    if (files.length === 0) throw new Error('docs/data has no bench-*.json: nothing for the charts to draw');
    for (const file of files) chartFromData(JSON.parse(readFileSync(file, 'utf8')) as unknown, `docs/data/${basename(file)}`);
    return { files: files.map((f) => basename(f)) };
  },
});
