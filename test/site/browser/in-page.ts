// Functions that run inside the page (page.evaluate serialises them): self-contained, no imports, no
// helpers from outside their own body. The project's tsconfig has no DOM library, hence the `any`s.
/* eslint-disable @typescript-eslint/no-explicit-any */
declare const document: any;
declare const window: any;

export interface MermaidState {
  total: number;
  rendered: number;
  /** Diagrams showing mermaid's "Syntax error" picture: the box's position and the picture's words. */
  errors: string[];
}

/** How many diagram boxes (`selector`) the page has and how many hold a drawn diagram. */
export const mermaidState = (selector: string): MermaidState => {
  const boxes = [...document.querySelectorAll(selector)];
  const svgs = boxes.map((b: any) => b.querySelector('svg'));
  return {
    total: boxes.length,
    rendered: svgs.filter((s: any) => s && s.getBoundingClientRect().width > 0 && s.getAttribute('aria-roledescription') !== 'error').length,
    errors: svgs.flatMap((s: any, i: number) =>
      s && s.getAttribute('aria-roledescription') === 'error'
        ? [`diagram ${i + 1}: ${[...s.querySelectorAll('text')].map((t: any) => t.textContent).join(' ')}`]
        : [],
    ),
  };
};

/**
 * Added before any of the page's scripts (context.addInitScript): notes every error picture mermaid
 * draws anywhere, even one that a later render replaces, in `window.__siteTestDiagramErrors`.
 */
export const watchDiagramErrors = (): void => {
  const seen: string[] = (window.__siteTestDiagramErrors = []);
  new window.MutationObserver(() => {
    for (const svg of document.querySelectorAll('svg[aria-roledescription=error]')) {
      if (svg.__siteTestSeen) continue;
      svg.__siteTestSeen = true;
      const box = svg.closest('div[id]');
      seen.push(`${box ? `#${box.id}` : 'an svg'}: ${[...svg.querySelectorAll('text')].map((t: any) => t.textContent).join(' ')}`);
    }
  }).observe(document, { childList: true, subtree: true });
};

export const seenDiagramErrors = (): string[] => window.__siteTestDiagramErrors ?? [];

export interface Overflow {
  scrollWidth: number;
  clientWidth: number;
  /** The element reaching furthest right outside any scrolling box, when the page scrolls sideways. */
  widest?: string;
}

/** Whether the page scrolls sideways, and if it does, the element to blame. */
export const overflow = (): Overflow => {
  const root = document.documentElement;
  const result: Overflow = { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  if (root.scrollWidth <= root.clientWidth + 1) return result;
  // An element inside a box that scrolls or clips sideways (a code block) cannot widen the page.
  const clipped = (el: any): boolean => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const x = window.getComputedStyle(a).overflowX;
      if (x !== 'visible') return true;
    }
    return false;
  };
  let best: any = null;
  let bestRight = root.clientWidth + 1;
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.right <= bestRight) continue;
    if (clipped(el)) continue;
    best = el;
    bestRight = r.right;
  }
  if (best) {
    const name = (el: any): string =>
      el.tagName.toLowerCase() + (el.id ? `#${el.id}` : '') + (typeof el.className === 'string' && el.className.trim() ? `.${el.className.trim().split(/\s+/).join('.')}` : '');
    const chain: string[] = [];
    for (let a = best; a && a !== document.body && chain.length < 4; a = a.parentElement) chain.unshift(name(a));
    const text = (best.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 60);
    result.widest = `${chain.join(' > ')} (right edge at ${Math.round(bestRight)} px${text ? `, text "${text}"` : ''})`;
  }
  return result;
};

/** Scrolls so that the first `selector` starts just below the fixed nav bar (64 px high). */
export const scrollToStart = (selector: string): void => {
  const el = document.querySelector(selector);
  if (el) window.scrollTo(0, el.getBoundingClientRect().top + window.scrollY - 80);
};

/** Resolves once the page's web fonts have loaded (or failed): text is measured with its final font. */
export const fontsReady = async (): Promise<void> => {
  await document.fonts.ready;
};

/** Web fonts the page asked for that failed to load. */
export const failedFonts = async (): Promise<string[]> => {
  await document.fonts.ready;
  return [...document.fonts].filter((f: any) => f.status === 'error').map((f: any) => `${f.family} ${f.weight} ${f.style}`);
};
