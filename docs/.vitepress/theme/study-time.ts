// Time needed, computed from the exercise minutes in the registry (chapters/index.ts), so the home page
// and the chapter map never state a number that the registry has since changed.
import type { Chapter } from '../../../chapters/index.ts';

export const exerciseMinutes = (c: Chapter): number => c.exercises.reduce((sum, e) => sum + e.minutes, 0);

export interface StudyTime {
  exercises: number;
  minutes: number;
  /** The lightest and heaviest chapter, in exercise minutes (chapters without exercises left out). */
  least: number;
  most: number;
}

export function studyTime(chapters: Chapter[]): StudyTime {
  const perChapter = chapters.map(exerciseMinutes).filter((m) => m > 0);
  return {
    exercises: chapters.reduce((n, c) => n + c.exercises.length, 0),
    minutes: perChapter.reduce((a, b) => a + b, 0),
    least: perChapter.length > 0 ? Math.min(...perChapter) : 0,
    most: perChapter.length > 0 ? Math.max(...perChapter) : 0,
  };
}

/** 55 -> "55 min", 60 -> "1 h", 130 -> "2 h 10 min": short enough for a table cell. */
export function formatMinutes(m: number): string {
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  const rest = m % 60;
  return rest === 0 ? `${h} h` : `${h} h ${rest} min`;
}

/** A rough total in whole hours ("about 13 hours"): the estimates are not precise enough for minutes. */
export const roundHours = (m: number): number => Math.max(1, Math.round(m / 60));
