// Links to pages from components. Markdown links are rewritten (and dead-link checked) by VitePress;
// links built in a component are not, so they are made here, in one place, the way VitePress would.
import { useData, withBase } from 'vitepress';
import type { Chapter } from '../../../chapters/index.ts';

export function useChapterLink(): (c: Chapter) => string {
  const { site } = useData();
  return (c) => withBase(`/chapters/${c.slug}${site.value.cleanUrls ? '' : '.html'}`);
}
